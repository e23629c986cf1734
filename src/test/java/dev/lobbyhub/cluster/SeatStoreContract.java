package dev.lobbyhub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.registry.SeatStore;
import dev.lobbyhub.registry.SeatStore.Claim;
import dev.lobbyhub.registry.SeatStore.Refused;
import dev.lobbyhub.registry.SeatStore.Seat;
import dev.lobbyhub.registry.SeatStore.Seated;
import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;
import dev.lobbyhub.testing.Tokens;
import io.smallrye.mutiny.Uni;

/**
 * The rules every {@link SeatStore} keeps (SPEC §1, §6), whatever holds the seats: each
 * implementation extends this with the store to test and the node ids that may claim in it.
 */
public abstract class SeatStoreContract {

    protected static final Duration WAIT = Duration.ofSeconds(10);

    /** The store under test. */
    protected abstract SeatStore seats();

    /** Three node ids allowed to claim (for a single node's store, any ids will do). */
    protected abstract List<String> nodes();

    @Test
    void thirtyClientsRacingForTenSeatsGetExactlyTen() {
        for (int round = 0; round < 5; round++) {
            String lobby = Tokens.unique("race");
            List<Uni<Claim>> claims = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                claims.add(seats().claim(new Seat(lobby, "player-" + i + "-" + lobby, "conn-" + i + "-" + lobby,
                        nodes().get(i % 3), null), 10, OnDuplicate.REPLACE));
            }
            List<Claim> answers = Uni.join().all(claims).andFailFast().await().atMost(WAIT);
            Map<String, Long> outcome = answers.stream().collect(Collectors.groupingBy(
                    claim -> claim instanceof Refused refused ? refused.code().reason() : "seated", Collectors.counting()));
            assertEquals(Map.of("seated", 10L, "lobby_full", 20L), outcome);
        }
    }

    @Test
    void returningUserTakesTheirOwnSeatInAFullLobby() {
        String lobby = Tokens.unique("full");
        for (int i = 0; i < 3; i++) {
            seated(claim(lobby, "u" + i, "c" + i + lobby, nodes().get(i), 3, OnDuplicate.REPLACE));
        }
        Seated again = seated(claim(lobby, "u0", "again" + lobby, nodes().get(1), 3, OnDuplicate.REPLACE));

        assertEquals(new SeatStore.Displaced("c0" + lobby, nodes().get(0), lobby), again.displaced());
        assertEquals(3, again.members().size());
        assertTrue(again.members().contains("u0"));
    }

    @Test
    void joiningAnotherLobbyFreesTheSeatOfTheOldOne() {
        String first = Tokens.unique("first");
        String second = Tokens.unique("second");
        String user = Tokens.unique("mover");
        seated(claim(first, user, "old-" + user, nodes().get(0), 10, OnDuplicate.REPLACE));
        Seated moved = seated(claim(second, user, "new-" + user, nodes().get(2), 10, OnDuplicate.REPLACE));

        assertEquals(new SeatStore.Displaced("old-" + user, nodes().get(0), first), moved.displaced());
        assertEquals(List.of(user), moved.members());
        Seated other = seated(claim(first, Tokens.unique("other"), Tokens.unique("c"), nodes().get(1), 10,
                OnDuplicate.REPLACE));
        assertFalse(other.members().contains(user), "the old lobby no longer counts the user");
    }

    @Test
    void aFullLobbyRefusesAMoveAndTheOldSeatStays() {
        String full = Tokens.unique("full");
        seated(claim(full, Tokens.unique("a"), Tokens.unique("c"), nodes().get(0), 1, OnDuplicate.REPLACE));
        String home = Tokens.unique("home");
        String user = Tokens.unique("stayer");
        seated(claim(home, user, "home-" + user, nodes().get(1), 10, OnDuplicate.REPLACE));

        assertEquals(new Refused(CloseCode.LOBBY_FULL), claim(full, user, "away-" + user, nodes().get(2), 1,
                OnDuplicate.REPLACE));
        assertTrue(release("home-" + user), "the user still held the old seat");
    }

    @Test
    void rejectPolicyRefusesASecondConnection() {
        String user = Tokens.unique("once");
        Seated first = seated(claim(Tokens.unique("l"), user, "one-" + user, nodes().get(0), 10, OnDuplicate.REJECT));
        assertNull(first.displaced());

        assertEquals(new Refused(CloseCode.DUPLICATE_SESSION),
                claim(Tokens.unique("l"), user, "two-" + user, nodes().get(1), 10, OnDuplicate.REJECT));
    }

    @Test
    void releaseFreesOnceAndNeverTheUsersNewerConnection() {
        String lobby = Tokens.unique("release");
        String user = Tokens.unique("u");
        seated(claim(lobby, user, "older-" + user, nodes().get(0), 10, OnDuplicate.REPLACE));
        seated(claim(lobby, user, "newer-" + user, nodes().get(1), 10, OnDuplicate.REPLACE));

        assertFalse(release("older-" + user), "the displaced connection holds no seat");
        assertTrue(release("newer-" + user));
        assertFalse(release("newer-" + user), "a second release changes nothing");
        Seated next = seated(claim(lobby, Tokens.unique("next"), Tokens.unique("c"), nodes().get(2), 10,
                OnDuplicate.REPLACE));
        assertFalse(next.members().contains(user));
    }

    @Test
    void sequenceNumbersGrowWithEverySeatChange() {
        String lobby = Tokens.unique("seq");
        long first = seated(claim(lobby, Tokens.unique("a"), Tokens.unique("c"), nodes().get(0), 10,
                OnDuplicate.REPLACE)).sequence();
        long second = seated(claim(lobby, Tokens.unique("b"), Tokens.unique("c"), nodes().get(1), 10,
                OnDuplicate.REPLACE)).sequence();
        assertTrue(second > first, first + " then " + second);
    }

    @Test
    void membersComeInJoiningOrder() {
        String lobby = Tokens.unique("order");
        seated(claim(lobby, "first", Tokens.unique("c"), nodes().get(0), 10, OnDuplicate.REPLACE));
        seated(claim(lobby, "second", Tokens.unique("c"), nodes().get(1), 10, OnDuplicate.REPLACE));
        Seated third = seated(claim(lobby, "third", Tokens.unique("c"), nodes().get(2), 10, OnDuplicate.REPLACE));

        assertEquals(List.of("first", "second", "third"), third.members());
    }

    /** Held seats (SPEC §10): how long a test holds one; the stores' own clocks end holds, not these tests. */
    private static final long HOLD_MS = 60_000;

    @Test
    void aHeldSeatIsTakenBackByItsUserThroughAnotherNodeInAFullLobbyWhateverThePolicy() {
        String lobby = Tokens.unique("held");
        String user = Tokens.unique("phone");
        String dropped = Tokens.unique("c");
        seated(claim(lobby, user, dropped, nodes().get(0), 2, OnDuplicate.REJECT));
        seated(claim(lobby, Tokens.unique("other"), Tokens.unique("c"), nodes().get(1), 2, OnDuplicate.REJECT));
        assertTrue(hold(dropped, LeaveReason.DROPPED));
        assertFalse(hold(dropped, LeaveReason.DROPPED), "held once");

        assertEquals(new Refused(CloseCode.LOBBY_FULL), claim(lobby, Tokens.unique("outsider"), Tokens.unique("c"),
                nodes().get(2), 2, OnDuplicate.REJECT), "the held seat counts");
        Seated back = seated(claim(lobby, user, Tokens.unique("c"), nodes().get(2), 2, OnDuplicate.REJECT));
        assertEquals(SeatStore.HoldEnded.RETURNED, back.holdEnded());
        assertTrue(back.tookOverOwnSeat(lobby), "a return may recover what it missed");
        assertEquals(List.of(), back.away());
        assertEquals(2, back.members().size());
    }

    @Test
    void anotherLobbyOrAKickFreesAHeldSeat() {
        String lobby = Tokens.unique("held");
        String mover = Tokens.unique("mover");
        String kicked = Tokens.unique("kicked");
        String moverConn = Tokens.unique("c");
        String kickedConn = Tokens.unique("c");
        seated(claim(lobby, mover, moverConn, nodes().get(0), 2, OnDuplicate.REPLACE));
        seated(claim(lobby, kicked, kickedConn, nodes().get(1), 2, OnDuplicate.REPLACE));
        assertTrue(hold(moverConn, LeaveReason.STALE));
        assertTrue(hold(kickedConn, LeaveReason.DROPPED));
        Seated newcomer = seated(claim(Tokens.unique("l"), Tokens.unique("watcher"), Tokens.unique("c"),
                nodes().get(2), 2, OnDuplicate.REPLACE));
        assertEquals(null, newcomer.holdEnded());

        Seated elsewhere = seated(claim(Tokens.unique("other"), mover, Tokens.unique("c"), nodes().get(2), 2,
                OnDuplicate.REJECT));
        assertEquals(SeatStore.HoldEnded.FREED, elsewhere.holdEnded());
        assertEquals(null, elsewhere.displaced(), "a held seat has no connection to close");
        assertTrue(seats().release(kickedConn, LeaveReason.KICKED).await().atMost(WAIT), "a kick frees it");
        assertFalse(release(kickedConn));
        Seated emptied = seated(claim(lobby, Tokens.unique("a"), Tokens.unique("c"), nodes().get(0), 2,
                OnDuplicate.REPLACE));
        seated(claim(lobby, Tokens.unique("b"), Tokens.unique("c"), nodes().get(1), 2, OnDuplicate.REPLACE));
        assertEquals(List.of(), emptied.away(), "both held seats are gone");
    }

    @Test
    void aNewcomerIsToldWhoIsAway() {
        String lobby = Tokens.unique("held");
        String away = Tokens.unique("away");
        String conn = Tokens.unique("c");
        seated(claim(lobby, away, conn, nodes().get(0), 10, OnDuplicate.REPLACE));
        assertTrue(hold(conn, LeaveReason.SLOW_CONSUMER));
        Seated newcomer = seated(claim(lobby, Tokens.unique("new"), Tokens.unique("c"), nodes().get(1), 10,
                OnDuplicate.REPLACE));
        assertEquals(List.of(away), newcomer.away());
        assertTrue(newcomer.members().contains(away), "an away member is a member");
    }

    protected boolean hold(String conn, LeaveReason reason) {
        return seats().release(conn, reason, HOLD_MS).await().atMost(WAIT);
    }

    protected Claim claim(String lobby, String user, String conn, String node, int max, OnDuplicate policy) {
        return seats().claim(new Seat(lobby, user, conn, node, null), max, policy).await().atMost(WAIT);
    }

    protected boolean release(String conn) {
        return seats().release(conn, LeaveReason.LEFT).await().atMost(WAIT);
    }

    protected static Seated seated(Claim claim) {
        return assertInstanceOf(Seated.class, claim, claim::toString);
    }
}
