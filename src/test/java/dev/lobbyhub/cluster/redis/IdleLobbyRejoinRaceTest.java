package dev.lobbyhub.cluster.redis;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import dev.lobbyhub.testing.ClusterModeProfile;
import dev.lobbyhub.testing.Frames;
import dev.lobbyhub.testing.RawWebSocket;
import dev.lobbyhub.testing.TestSocket;
import dev.lobbyhub.testing.Tokens;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Issue item 12 on one node in cluster mode: once a second the node stops following the lobbies it
 * has no member in (unsubscribes their channels). A newcomer joining a lobby just as its last member
 * left races that pass; whichever wins, the newcomer must be admitted ({@code welcome}, never 1013)
 * and hear the lobby's later seat changes (its partner's {@code member_joined}).
 *
 * <p>
 * Each round aims at one pass: the lobbies' members leave at least 300 ms before it, and each lobby's
 * newcomer, whose handshake is already written but its last two bytes, completes it at the moment aimed
 * for that lobby. The test learns the pass's moment from Redis itself ({@code MONITOR}: the pass's
 * {@code UNSUBSCRIBE}s) and corrects each lobby's aim from what Redis saw (newcomer before the pass:
 * later next time; after it: earlier by as much). It counts how often Redis ran a newcomer's
 * {@code SUBSCRIBE} before the pass's {@code UNSUBSCRIBE} of the same channel, i.e. the race was hit.
 */
@QuarkusTest
@TestProfile(ClusterModeProfile.class)
class IdleLobbyRejoinRaceTest {

    private static final int LOBBIES = 12;
    /** Rounds run for this long (one leave-idle pass each, once a second). */
    private static final Duration BUDGET = Duration.ofSeconds(60);
    /** How long a newcomer may take to be admitted; the node's own bound is cluster.redis-timeout (2 s). */
    private static final Duration ADMITTED_WITHIN = Duration.ofSeconds(6);
    private static final long TICK_MICROS = 1_000_000;
    /** How much later a lobby's newcomer connects next time when it came before the pass (µs). */
    private static final long EARLY_STEP_MICROS = 150;
    private static final Pattern MONITOR_LINE = Pattern.compile(
            "^\\+(\\d+)\\.(\\d{6}) \\[\\d+ ([^\\]]+)\\] \"([A-Za-z]+)\" \"([^\"]*)\"");

    @TestHTTPResource("/")
    URI base;

    /** One command Redis ran on a lobby channel, with Redis's own time. */
    record Command(long micros, String client, String name, String channel) {
    }

    /**
     * Each round: the lobbies' members leave; at least 300 ms later comes the node's leave-idle pass,
     * and each lobby's newcomer connects at the moment aimed for it, which is then corrected from what
     * Redis saw (came before the pass: later next time; came after it: earlier by as much), so that
     * the newcomers' {@code SUBSCRIBE}s converge on the pass's {@code UNSUBSCRIBE}s. Once the newcomer
     * is welcomed, a partner joins: the newcomer must hear it.
     */
    @Test
    void aNewcomerRacingTheLastMembersLeaveIsAdmittedAndHearsItsLobby() throws Exception {
        String redisUri = ConfigProvider.getConfig().getValue("quarkus.redis.hosts", String.class);
        List<String> lobbies = new ArrayList<>();
        Map<String, Long> offsets = new TreeMap<>();
        Map<String, Long> steps = new TreeMap<>();
        for (int i = 0; i < LOBBIES; i++) {
            String lobby = Tokens.unique("idle");
            lobbies.add(lobby);
            offsets.put(lobby, -3_000L + 6_000L * i / LOBBIES);
        }
        Map<String, List<AutoCloseable>> current = new TreeMap<>();
        ScheduledExecutorService starter = Executors.newScheduledThreadPool(LOBBIES);
        List<String> failures = new ArrayList<>();
        Map<String, Integer> tally = new TreeMap<>();
        int rounds = 0;
        int raced = 0;
        int early = 0;
        List<Long> aimed = new ArrayList<>();
        try (Monitor monitor = Monitor.open(URI.create(redisUri))) {
            // The pass's moment: a lobby whose only member left is unsubscribed at the next pass.
            String probe = Tokens.unique("phase");
            TestSocket.joinWelcomed(base, probe, Tokens.valid(Tokens.unique("p"))).close();
            long passPhase = Math.floorMod(monitor.await("UNSUBSCRIBE", probe, Duration.ofSeconds(10)), TICK_MICROS);

            long end = System.nanoTime() + BUDGET.toNanos();
            while (System.nanoTime() < end) {
                rounds++;
                leave(current);
                long now = nowMicros();
                long pass = now - Math.floorMod(now, TICK_MICROS) + passPhase;
                while (pass < now + 300_000) {
                    pass += TICK_MICROS;
                }
                // Each newcomer's handshake is written now but its last two bytes, sent at the aimed moment.
                Map<String, Future<RawWebSocket>> joining = new TreeMap<>();
                Map<String, String> newcomers = new TreeMap<>();
                for (String lobby : lobbies) {
                    String user = Tokens.unique("n");
                    newcomers.put(lobby, user);
                    RawWebSocket.Primed primed = RawWebSocket.prime(base, "/ws/" + lobby + "?token=" + Tokens.valid(user));
                    joining.put(lobby, starter.schedule(primed::fire, pass + offsets.get(lobby) - nowMicros(),
                            TimeUnit.MICROSECONDS));
                }
                for (String lobby : lobbies) {
                    List<AutoCloseable> open = new ArrayList<>();
                    current.put(lobby, open);
                    String verdict = checkNewcomer(lobby, newcomers.get(lobby), joining.get(lobby).get(30, TimeUnit.SECONDS),
                            open);
                    tally.merge(verdict, 1, Integer::sum);
                    if (!verdict.equals("ok")) {
                        failures.add("round " + rounds + " lobby " + lobby + ": " + verdict + "; Redis ran "
                                + monitor.commands(lobby));
                    }
                }
                // What Redis saw of each lobby at this pass; aim the next round with it.
                long passSeen = Long.MAX_VALUE;
                for (String lobby : lobbies) {
                    long unsubscribed = -1;
                    long subscribed = -1;
                    for (Command command : monitor.commands(lobby)) {
                        if (command.micros() < pass - 300_000) {
                            continue;
                        }
                        if (command.name().equals("UNSUBSCRIBE") && unsubscribed < 0) {
                            unsubscribed = command.micros();
                        } else if (command.name().equals("SUBSCRIBE") && subscribed < 0) {
                            subscribed = command.micros();
                        }
                    }
                    monitor.forget(lobby);
                    if (unsubscribed < 0) {
                        // The newcomer came before the pass and kept the lobby followed: come later, by
                        // more each time in a row (a bracket search for the pass).
                        long step = steps.merge(lobby, EARLY_STEP_MICROS, (was, min) -> Math.min(2 * was, 50_000L));
                        offsets.merge(lobby, step, Long::sum);
                        early++;
                        continue;
                    }
                    steps.remove(lobby);
                    passSeen = Math.min(passSeen, unsubscribed);
                    if (subscribed >= 0) {
                        long late = subscribed - unsubscribed;
                        aimed.add(late);
                        if (late < 0) {
                            raced++;
                        }
                        offsets.merge(lobby, -late - 200, Long::sum);
                    }
                }
                if (passSeen != Long.MAX_VALUE) {
                    passPhase = Math.floorMod(passSeen, TICK_MICROS);
                }
            }
        } finally {
            leave(current);
            starter.shutdownNow();
        }
        int hits = raced;
        int played = rounds;
        Collections.sort(aimed);
        long within1ms = aimed.stream().filter(d -> Math.abs(d) <= 1_000).count();
        System.out.printf("IdleLobbyRejoinRaceTest: %d rounds of %d lobbies, outcomes %s; newcomers before the pass %d;"
                + " a newcomer's SUBSCRIBE minus the pass's UNSUBSCRIBE (us) seen %d times: within 1 ms %d, before it %d,"
                + " median %s%n", played, LOBBIES, tally, early, aimed.size(), within1ms, hits,
                aimed.isEmpty() ? "-" : aimed.get(aimed.size() / 2));
        assertTrue(failures.isEmpty(), () -> failures.size() + " of " + played * LOBBIES + " newcomers failed ("
                + played + " rounds, outcomes " + tally + "; Redis saw a newcomer's SUBSCRIBE before the pass's"
                + " UNSUBSCRIBE " + hits + " times):\n" + String.join("\n", failures));
    }

    /**
     * The newcomer must be welcomed (never closed 1013); then a partner joins, welcomed with the newcomer
     * among its members, and the newcomer receives the partner's {@code member_joined}. Answers "ok" or
     * what went wrong; the sockets left open go to {@code open}.
     */
    private String checkNewcomer(String lobby, String user, RawWebSocket newcomer, List<AutoCloseable> open)
            throws IOException {
        long deadline = Frames.deadline(ADMITTED_WITHIN);
        open.add(newcomer);
        Object welcome = nextFrame(newcomer, deadline);
        if (!(welcome instanceof JsonObject first)) {
            return welcome instanceof TestSocket.Close close && close.code() == 1013 ? "1013 " + close.reason()
                    : "no welcome (" + (welcome == null ? "nothing within " + ADMITTED_WITHIN : "closed " + welcome) + ")";
        }
        if (!Frames.isType(first, "welcome")) {
            return "first frame " + first.encode();
        }
        String partner = Tokens.unique("p");
        TestSocket second = TestSocket.join(base, lobby, Tokens.valid(partner));
        open.add(second);
        JsonObject partnerWelcome = firstFrame(second, deadline);
        if (partnerWelcome == null) {
            return "partner not welcomed (" + (second.isClosed() ? "closed " + second.awaitClose() : "still open") + ")";
        }
        if (!members(partnerWelcome).contains(user)) {
            return "partner's welcome lacks the newcomer: " + partnerWelcome.encode();
        }
        // The members who left just before may be told first (or not, depending on timing).
        while (true) {
            Object next = nextFrame(newcomer, deadline);
            if (!(next instanceof JsonObject frame)) {
                return "partner's member_joined missing (" + (next == null ? "nothing" : "closed " + next) + ")";
            }
            if (frame.equals(Frames.joined(partner))) {
                return "ok";
            }
            if (!Frames.isType(frame, "member_left")) {
                return "unexpected frame before the partner's member_joined: " + frame.encode();
            }
        }
    }

    /** The server's next text frame (health pings skipped), its close ({@link TestSocket.Close}), or null at the deadline. */
    private static Object nextFrame(RawWebSocket socket, long deadline) throws IOException {
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return null;
            }
            socket.readTimeout(Duration.ofMillis(left));
            RawWebSocket.Frame frame;
            try {
                frame = socket.readFrame();
            } catch (SocketTimeoutException nothing) {
                return null;
            } catch (EOFException | SocketException dropped) {
                return new TestSocket.Close(-1, dropped.toString());
            }
            if (frame.opcode() == RawWebSocket.CLOSE) {
                byte[] p = frame.payload();
                return p.length < 2 ? new TestSocket.Close(1005, "")
                        : new TestSocket.Close((p[0] & 0xff) << 8 | (p[1] & 0xff),
                                new String(p, 2, p.length - 2, StandardCharsets.UTF_8));
            }
            if (frame.opcode() == RawWebSocket.TEXT) {
                JsonObject json = new JsonObject(frame.text());
                if (!Frames.isType(json, "health_ping")) {
                    return json;
                }
            }
        }
    }

    /** Every member of the last round leaves with a close frame 1000. */
    private static void leave(Map<String, List<AutoCloseable>> current) {
        for (List<AutoCloseable> members : current.values()) {
            for (AutoCloseable member : members) {
                if (member instanceof RawWebSocket raw) {
                    try {
                        raw.sendFrame(true, 0, RawWebSocket.CLOSE, new byte[] { 0x03, (byte) 0xe8 });
                    } catch (IOException alreadyGone) {
                        // closed below either way
                    }
                    raw.close();
                } else if (member instanceof TestSocket socket) {
                    socket.close();
                }
            }
        }
        current.clear();
    }

    /** The first frame, or null when the socket closed before one came or none came by the deadline. */
    private static JsonObject firstFrame(TestSocket socket, long deadline) {
        while (System.nanoTime() < deadline) {
            if (socket.pending() > 0) {
                return socket.next();
            }
            if (socket.isClosed()) {
                return socket.pending() > 0 ? socket.next() : null;
            }
            try {
                return Frames.nextBefore(socket, Math.min(deadline, System.nanoTime() + 200_000_000L), "a frame");
            } catch (AssertionError notYet) {
                // closed, or nothing within the slice: look again
            }
        }
        return null;
    }

    private static Set<String> members(JsonObject welcome) {
        JsonArray members = welcome.getJsonArray("members");
        Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < members.size(); i++) {
            ids.add(members.getString(i));
        }
        return ids;
    }

    private static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    /** A {@code MONITOR} connection to the node's Redis: the commands run on lobby channels, with Redis's time. */
    static final class Monitor implements AutoCloseable {
        private final Socket socket;
        private final Map<String, List<Command>> byLobby = new ConcurrentHashMap<>();
        private final Thread reader;

        private Monitor(Socket socket) {
            this.socket = socket;
            this.reader = new Thread(this::read, "redis-monitor");
            this.reader.setDaemon(true);
        }

        static Monitor open(URI redis) throws IOException {
            Socket socket = new Socket(redis.getHost(), redis.getPort());
            Monitor monitor = new Monitor(socket);
            OutputStream out = socket.getOutputStream();
            out.write("MONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            monitor.reader.start();
            return monitor;
        }

        private void read() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    Matcher m = MONITOR_LINE.matcher(line);
                    if (!m.find()) {
                        continue;
                    }
                    String name = m.group(4).toUpperCase(java.util.Locale.ROOT);
                    String channel = m.group(5);
                    int at = channel.indexOf(":ch:lobby:");
                    if (at < 0 || !(name.equals("SUBSCRIBE") || name.equals("UNSUBSCRIBE") || name.equals("PUBLISH"))) {
                        continue;
                    }
                    String lobby = channel.substring(at + ":ch:lobby:".length());
                    long micros = Long.parseLong(m.group(1)) * 1_000_000L + Long.parseLong(m.group(2));
                    byLobby.computeIfAbsent(lobby, l -> new CopyOnWriteArrayList<>())
                            .add(new Command(micros, m.group(3), name, channel));
                }
            } catch (IOException closed) {
                // the test is over
            }
        }

        /** Redis's time of the first such command on the lobby's channel; fails after {@code within}. */
        long await(String name, String lobby, Duration within) {
            long[] seen = { -1 };
            Awaitility.await("Redis runs " + name + " on lobby " + lobby).atMost(within)
                    .pollInterval(Duration.ofMillis(5)).until(() -> {
                        for (Command command : commands(lobby)) {
                            if (command.name().equals(name)) {
                                seen[0] = command.micros();
                                return true;
                            }
                        }
                        return false;
                    });
            return seen[0];
        }

        List<Command> commands(String lobby) {
            return List.copyOf(byLobby.getOrDefault(lobby, List.of()));
        }

        void forget(String lobby) {
            byLobby.remove(lobby);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
