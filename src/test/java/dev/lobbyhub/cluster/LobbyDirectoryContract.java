package dev.lobbyhub.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.lobbyhub.config.LobbyhubConfig.OnDuplicate;
import dev.lobbyhub.protocol.ClientMessage.LobbyUpdate;
import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LobbyState;
import dev.lobbyhub.protocol.PropertyMatch;
import dev.lobbyhub.registry.LobbyDirectory;
import dev.lobbyhub.registry.LobbyDirectory.NewLobby;
import dev.lobbyhub.registry.LobbyDirectory.Placed;
import dev.lobbyhub.registry.LobbyDirectory.Query;
import dev.lobbyhub.registry.LobbyStates;
import dev.lobbyhub.registry.SeatStore;
import dev.lobbyhub.registry.SeatStore.Refused;
import dev.lobbyhub.registry.SeatStore.Seat;
import dev.lobbyhub.testing.Tokens;

/**
 * The rules of the lobby directory and reservations (SPEC §13) that every store keeps, in memory or in
 * Redis: fullest first, filters and pages, reservations counted and passing the lock, taken by a claim,
 * ended by a claim elsewhere, ending once when their time runs out (and a lobby made for one with it),
 * parties all or none, a {@code lobbies} claim never making a lobby. Lobbies of 3.
 */
public abstract class LobbyDirectoryContract {

    protected static final Duration WAIT = Duration.ofSeconds(10);
    protected static final int MAX = 3;

    /** The store under test, as a directory, as seats and as lobby states: one and the same store. */
    protected abstract LobbyDirectory directory();

    protected abstract SeatStore seats();

    protected abstract LobbyStates states();

    /** A node id allowed to claim. */
    protected abstract String node();

    /** Ends every reservation made so far (their time has run out), as the store's sweep would. */
    protected abstract void expireReservations() throws Exception;

    private static Map<String, String> tokens(String mode, Object... more) {
        StringBuilder json = new StringBuilder("{\"mode\":\"" + mode + "\"");
        for (int i = 0; i < more.length; i += 2) {
            json.append(",\"").append(more[i]).append("\":").append(more[i + 1] instanceof String text
                    ? "\"" + text + "\"" : more[i + 1]);
        }
        return PropertyMatch.tokens(json.append('}').toString());
    }

    private static String json(Map<String, String> tokens) {
        StringBuilder json = new StringBuilder("{");
        tokens.forEach((key, token) -> json.append(json.length() > 1 ? "," : "").append('"').append(key).append("\":")
                .append(token.startsWith("s:") ? "\"" + token.substring(2) + "\"" : token.substring(2)));
        return json.append('}').toString();
    }

    private static Query match(Map<String, String> tokens) {
        Map<String, Set<String>> match = new java.util.LinkedHashMap<>();
        tokens.forEach((key, token) -> match.put(key, Set.of(token)));
        return new Query(match, true, null);
    }

    private Placed quickJoin(String user, Map<String, String> tokens) {
        NewLobby ifNone = new NewLobby(Tokens.unique("made").replace('-', '_'), user, "public", MAX, json(tokens), tokens);
        return assertInstanceOf(Placed.class, directory().quickJoin(user, match(tokens), ifNone).await().atMost(WAIT));
    }

    private SeatStore.Claim claim(String lobby, String user) {
        return seats().claim(new Seat(lobby, user, Tokens.unique("conn"), node(), null), MAX, OnDuplicate.REPLACE)
                .await().atMost(WAIT);
    }

    private LobbyState state(String lobby) {
        return states().state(lobby).await().atMost(WAIT).orElse(null);
    }

    @Test
    void quickJoinMakesALobbyThenFillsTheFullestMatchingOne() {
        String mode = Tokens.unique("mode");
        Placed first = quickJoin(Tokens.unique("a"), tokens(mode, "slot", 1));
        Placed second = quickJoin(Tokens.unique("b"), tokens(mode, "slot", 2));
        assertTrue(first.created() && second.created(), "different slots: two lobbies");
        claim(second.lobby(), Tokens.unique("seated"));
        // second has 1 reservation + 1 member, first 1 reservation: the fuller is second.
        Placed third = quickJoin(Tokens.unique("c"), tokens(mode));
        assertEquals(new Placed(second.lobby(), false, third.reservedMillis()), third);
        assertTrue(third.reservedMillis() > 0);
        // second is full now (3 of 3): the next goes to first.
        assertEquals(first.lobby(), quickJoin(Tokens.unique("d"), tokens(mode)).lobby());
        assertEquals(first.lobby(), quickJoin(Tokens.unique("e"), tokens(mode)).lobby());
        assertTrue(quickJoin(Tokens.unique("f"), tokens(mode)).created(), "both full: a new lobby");
        assertEquals(3, state(first.lobby()).reserved(), "three reservations in the first lobby");
    }

    @Test
    void aUserAskingAgainGetsTheSameReservationAndASeatedUserItsLobby() {
        String mode = Tokens.unique("mode");
        String user = Tokens.unique("u");
        Placed first = quickJoin(user, tokens(mode));
        Placed again = quickJoin(user, tokens(Tokens.unique("other")));
        assertEquals(first.lobby(), again.lobby());
        assertEquals(false, again.created());
        assertTrue(again.reservedMillis() > 0 && again.reservedMillis() <= first.reservedMillis());
        claim(first.lobby(), user);
        assertEquals(new Placed(first.lobby(), false, 0), quickJoin(user, tokens(mode)));
        assertEquals(0, state(first.lobby()).reserved(), "taken by the claim");
    }

    @Test
    void reservationsCountTowardsCapacityAndPassTheLockAndTheCapacity() {
        String mode = Tokens.unique("mode");
        String maker = Tokens.unique("maker");
        String lobby = quickJoin(maker, tokens(mode)).lobby();
        String second = Tokens.unique("second");
        String third = Tokens.unique("third");
        assertEquals(lobby, quickJoin(second, tokens(mode)).lobby());
        assertEquals(lobby, quickJoin(third, tokens(mode)).lobby());
        assertEquals(new Refused(CloseCode.LOBBY_FULL), claim(lobby, Tokens.unique("stranger")));
        states().updateLobby(lobby, null, new LobbyUpdate(true, null, null, null, null, null)).await().atMost(WAIT);
        for (String user : List.of(maker, second, third)) {
            assertInstanceOf(SeatStore.Seated.class, claim(lobby, user), user + " takes its reservation");
        }
        LobbyState full = state(lobby);
        assertEquals(0, full.reserved());
        assertEquals(maker, full.owner(), "a lobby made by quick join is its maker's");
    }

    @Test
    void aClaimElsewhereEndsAReservationAndTheLobbyMadeForItGoes() {
        String user = Tokens.unique("roamer");
        String lobby = quickJoin(user, tokens(Tokens.unique("mode"))).lobby();
        assertInstanceOf(SeatStore.Seated.class, claim(Tokens.unique("elsewhere"), user));
        assertNull(state(lobby), "made for the reservation, gone with it");
        assertEquals(List.of(), listed(lobby), "and out of the directory");
    }

    @Test
    void reservationsEndOnceWhenTheirTimeRunsOutAndALobbyMadeForOneGoes() throws Exception {
        String mode = Tokens.unique("mode");
        String maker = Tokens.unique("maker");
        String lobby = quickJoin(maker, tokens(mode)).lobby();
        String member = Tokens.unique("member");
        claim(lobby, member);
        String lonely = quickJoin(Tokens.unique("lonely"), tokens(Tokens.unique("alone"))).lobby();
        expireReservations();
        LobbyState after = state(lobby);
        assertEquals(0, after.reserved());
        assertEquals(member, after.owner(), "the owner's reservation ended: the member owns the lobby");
        assertNull(state(lonely), "a lobby made for a reservation nobody took is gone");
        expireReservations();
        assertEquals(member, state(lobby).owner(), "nothing ends twice");
        // Its seats are free again.
        assertEquals(lobby, quickJoin(Tokens.unique("next"), tokens(mode)).lobby());
    }

    private List<String> listed(String lobby) {
        List<String> codes = new ArrayList<>();
        directory().list(new Query(Map.of(), false, Set.of(lobby)), null, 10).await().atMost(WAIT).lobbies()
                .forEach(line -> codes.add(line.code()));
        return codes;
    }

    @Test
    void theDirectoryListsPublicLobbiesByFilterInPages() {
        String tag = Tokens.unique("tag");
        List<String> codes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            codes.add(quickJoin(Tokens.unique("l"), tokens(tag, "slot", i, "level", i == 2 ? "3.0" : 3)).lobby());
        }
        codes.sort(null);
        Query all = new Query(Map.of("mode", Set.of("s:" + tag)), false, null);
        LobbyDirectory.Page page = directory().list(all, null, 2).await().atMost(WAIT);
        assertEquals(codes.subList(0, 2), page.lobbies().stream().map(LobbyDirectory.Listed::code).toList());
        assertEquals(codes.get(1), page.nextCursor());
        LobbyDirectory.Page rest = directory().list(all, page.nextCursor(), 2).await().atMost(WAIT);
        assertEquals(codes.subList(2, 3), rest.lobbies().stream().map(LobbyDirectory.Listed::code).toList());
        assertNull(rest.nextCursor());
        LobbyDirectory.Listed line = page.lobbies().get(0);
        assertEquals(0, line.memberCount());
        assertEquals(MAX, line.max());

        Query number = new Query(Map.of("mode", Set.of("s:" + tag), "level", PropertyMatch.accepted("3")), false, null);
        assertEquals(2, directory().list(number, null, 10).await().atMost(WAIT).lobbies().size(),
                "3 matches the number 3, not the string \"3.0\"");
        states().updateLobby(codes.get(0), null, new LobbyUpdate(null, "private", null, null, null, null))
                .await().atMost(WAIT);
        states().updateLobby(codes.get(1), null, new LobbyUpdate(true, null, null, null, null, null)).await().atMost(WAIT);
        assertEquals(List.of(codes.get(1), codes.get(2)), directory().list(all, null, 10).await().atMost(WAIT).lobbies()
                .stream().map(LobbyDirectory.Listed::code).toList(), "private lobbies are not listed");
        Query withSpace = new Query(all.match(), true, null);
        assertEquals(List.of(codes.get(2)), directory().list(withSpace, null, 10).await().atMost(WAIT).lobbies()
                .stream().map(LobbyDirectory.Listed::code).toList(), "has_space leaves out locked lobbies");
        assertEquals(List.of(codes.get(2)), directory().list(new Query(all.match(), false, Set.of(codes.get(2))), null, 10)
                .await().atMost(WAIT).lobbies().stream().map(LobbyDirectory.Listed::code).toList(), "a lobbies claim");
    }

    @Test
    void aPartyIsReservedAllOrNone() {
        String owner = Tokens.unique("host");
        String code = Tokens.unique("party").replace('-', '_');
        LobbyState made = directory().create(new NewLobby(code, owner, "private", MAX, "{}", Map.of())).await().atMost(WAIT);
        assertEquals(owner, made.owner());
        assertEquals(1, made.reserved());
        assertNull(directory().create(new NewLobby(code, null, "private", MAX, "{}", Map.of())).await().atMost(WAIT),
                "the code is taken");
        List<String> three = List.of(Tokens.unique("p"), Tokens.unique("p"), Tokens.unique("p"));
        assertEquals(LobbyDirectory.PartyAnswer.LOBBY_FULL, directory().reserve(code, three).await().atMost(WAIT));
        assertEquals(1, state(code).reserved(), "nothing reserved");
        assertEquals(LobbyDirectory.PartyAnswer.RESERVED, directory().reserve(code, three.subList(0, 2)).await().atMost(WAIT));
        assertEquals(3, state(code).reserved());
        assertEquals(LobbyDirectory.PartyAnswer.NO_LOBBY,
                directory().reserve(Tokens.unique("none"), three).await().atMost(WAIT));
        assertEquals(true, directory().cancelReservation(three.get(0)).await().atMost(WAIT));
        assertEquals(false, directory().cancelReservation(three.get(0)).await().atMost(WAIT));
        assertEquals(2, state(code).reserved());
    }

    @Test
    void aLobbiesClaimNeverMakesALobbyAndAKickedUserIsNeverPlacedBack() {
        String mode = Tokens.unique("mode");
        String owner = Tokens.unique("owner");
        String lobby = quickJoin(owner, tokens(mode)).lobby();
        claim(lobby, owner);
        assertInstanceOf(LobbyDirectory.NoLobby.class, directory().quickJoin(Tokens.unique("u"),
                new Query(match(tokens(mode)).match(), true, Set.of(Tokens.unique("elsewhere"))), null).await().atMost(WAIT));
        String banned = Tokens.unique("banned");
        assertEquals(lobby, quickJoin(banned, tokens(mode)).lobby());
        states().kick(lobby, owner, banned).await().atMost(WAIT);
        assertEquals(0, state(lobby).reserved(), "the kick ended the reservation");
        assertNotEquals(lobby, quickJoin(banned, tokens(mode)).lobby());
    }
}
