package dev.lobbyhub.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * "slow consumer": one lobby of 10; member 9 stops reading ({@code pause()}), member 0 floods the
 * lobby with {@code lobby_message}s of about {@code --size} bytes carrying their send time. Reports
 * when the others hear {@code member_left slow_consumer}, the server's memory during the flood, and
 * whether members 1–8 got every message in order, with their delivery latency. A gentler flood with
 * everybody reading comes first, to warm up both JVMs; only who was closed during it is reported.
 *
 * <pre>
 * java -cp lobbyhub-bench.jar dev.lobbyhub.bench.SlowConsumerScenario --port 18080 --pid SERVER_PID \
 *     [--rate 2000 (messages/s; 0 = as fast as the sender's socket takes them)] [--messages 20000] \
 *     [--size 1024] [--warmup-messages 5000] [--warmup-rate 500]
 * </pre>
 * The server needs a rate limit above the flood: LOBBYHUB_LIMITS_MESSAGES_PER_SECOND=100000, LOBBYHUB_LIMITS_BURST=100000.
 */
public final class SlowConsumerScenario {

    private static final int MEMBERS = 10;
    private static final int SENDER = 0;
    private static final int SLOW = MEMBERS - 1;
    private static final int MAX_SECONDS = 600;

    private final LoadClient lobby;
    /** lobby_messages received per member, since the last {@link #reset()}. */
    private final AtomicLongArray received = new AtomicLongArray(MEMBERS);
    private final AtomicLongArray lastSeq = new AtomicLongArray(MEMBERS);
    private final LongAdder outOfOrder = new LongAdder();
    private final Recorder latency = new Recorder(3);
    /** Worst latency (µs) per second since {@link #floodStart}; the warm-up is not recorded. */
    private final AtomicLongArray worstPerSecond = new AtomicLongArray(MAX_SECONDS);
    private final AtomicLong floodStart = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong slowLeftNanos = new AtomicLong();
    private final AtomicReference<String> slowLeftReason = new AtomicReference<>();
    private final LongAdder slowLeftSeenBy = new LongAdder();

    private SlowConsumerScenario(LoadClient lobby) {
        this.lobby = lobby;
        lobby.onFrame(this::onFrame);
    }

    public static void main(String[] argv) {
        Vertx vertx = Vertx.vertx();
        boolean ok;
        try {
            Args args = new Args(argv);
            LoadClient lobby = new LoadClient(vertx, args.target(), "slow" + System.currentTimeMillis() % 100_000,
                    MEMBERS, MEMBERS);
            ok = new SlowConsumerScenario(lobby).run(args, vertx);
        } finally {
            Wait.on(vertx.close(), Duration.ofSeconds(30));
        }
        System.exit(ok ? 0 : 1);
    }

    private void onFrame(LoadClient.Conn conn, JsonObject frame) {
        String type = frame.getString("type");
        if ("lobby_message".equals(type)) {
            long now = System.nanoTime();
            JsonObject data = frame.getJsonObject("data");
            long micros = Math.max(0, (now - data.getLong("t")) / 1000);
            received.incrementAndGet(conn.index);
            if (lastSeq.getAndSet(conn.index, data.getLong("s")) >= data.getLong("s")) {
                outOfOrder.increment();
            }
            if (conn.index != SLOW && now >= floodStart.get()) {
                latency.recordValue(micros);
                int second = (int) Math.min(MAX_SECONDS - 1, Math.max(0, (now - floodStart.get()) / 1_000_000_000L));
                worstPerSecond.accumulateAndGet(second, micros, Math::max);
            }
        } else if ("member_left".equals(type) && lobby.conns().get(SLOW).userId.equals(frame.getString("user_id"))) {
            if (slowLeftNanos.compareAndSet(0, System.nanoTime())) {
                slowLeftReason.set(frame.getString("reason"));
            }
            slowLeftSeenBy.increment();
        }
    }

    private boolean run(Args args, Vertx vertx) {
        int rate = args.integer("rate", 2000);
        int messages = args.integer("messages", 20_000);
        ServerWatch server = new ServerWatch(args.target().port(), args.pid());

        Wait.on(lobby.connect(MEMBERS), Duration.ofSeconds(30));
        List<LoadClient.Conn> members = lobby.conns();
        // Member k hears the joins of k+1..9: 45 in all once everyone is in.
        boolean settled = Wait.until(() -> lobby.frames("member_joined") >= 45, Duration.ofSeconds(10),
                Duration.ofMillis(20));
        Flood flood = new Flood(vertx, members.get(SENDER), args.integer("size", 1024));
        print("lobby %s: %d members welcomed, presence settled %s; server collector %s; messages of %d bytes",
                members.get(0).lobby, lobby.welcomed(), settled, server.collector(), flood.size());

        int warmup = args.integer("warmup-messages", 5000);
        int warmupRate = args.integer("warmup-rate", 500);
        Wait.on(flood.send(warmup, warmupRate), Duration.ofMinutes(2));
        boolean warm = Wait.until(() -> everyoneGot(warmup, true), Duration.ofSeconds(60), Duration.ofMillis(20));
        String warmCloses = closes(members, System.nanoTime());
        print("warm-up: %d messages at %d/s, every member got them: %s; closed:%s", warmup, warmupRate, warm,
                warmCloses.isEmpty() ? " none" : warmCloses);
        reset();

        members.get(SLOW).ws.pause();
        long rssBefore = server.rssKb();
        long liveBefore = server.liveHeapKb();
        Map<String, Double> metricsBefore = server.metrics();

        long start = System.nanoTime();
        floodStart.set(start);
        long sentBefore = flood.sent();
        AtomicLong finished = new AtomicLong();
        flood.send(messages, rate).onSuccess(finished::set);
        long rssPeak = rssBefore;
        Peaks peaks = new Peaks(metricsBefore);
        long nextScrape = System.nanoTime();
        long limit = (rate == 0 ? 60_000 : messages * 1000L / rate) + 30_000;
        long deadline = start + Duration.ofMillis(limit).toNanos();
        long sentWhenLeft = -1;
        while (System.nanoTime() < deadline && !everyoneGot(messages, false)) {
            Wait.pause(Duration.ofMillis(50));
            rssPeak = Math.max(rssPeak, server.rssKb());
            if (sentWhenLeft < 0 && slowLeftNanos.get() != 0) {
                sentWhenLeft = flood.sent() - sentBefore;
            }
            if (System.nanoTime() >= nextScrape) {
                peaks.add(server.metrics());
                nextScrape = System.nanoTime() + 250_000_000L;
            }
        }
        long done = System.nanoTime();
        Map<String, Double> metricsAfter = server.metrics();
        Histogram lat = latency.getIntervalHistogram();
        long sent = flood.sent() - sentBefore;
        double floodSeconds = ((finished.get() == 0 ? done : finished.get()) - start) / 1e9;

        print("flood: %d messages in %.2f s (%.0f/s, asked %s)", sent, floodSeconds, sent / floodSeconds,
                rate == 0 ? "as fast as the socket takes them" : rate + "/s");
        boolean slowLeft = slowLeftNanos.get() != 0;
        print("slow member: member_left reason=%s heard %.0f ms after the flood began (~%d messages sent by then,"
                + " checked every 50 ms), by %d of the 9 other members", slowLeftReason.get(),
                slowLeft ? (slowLeftNanos.get() - start) / 1e6 : -1.0, sentWhenLeft, slowLeftSeenBy.sum());
        print("healthy members 1-8 received %s of %d; out of order %d; delivery latency p50 %.2f ms / p99 %.2f ms"
                + " / p99.9 %.2f ms / max %.2f ms (n=%d)", healthyCounts(), sent, outOfOrder.sum(),
                lat.getValueAtPercentile(50) / 1000.0, lat.getValueAtPercentile(99) / 1000.0,
                lat.getValueAtPercentile(99.9) / 1000.0, lat.getMaxValue() / 1000.0, lat.getTotalCount());
        StringBuilder worst = new StringBuilder();
        for (int i = 0; i <= (done - start) / 1_000_000_000L && i < MAX_SECONDS; i++) {
            worst.append(i == 0 ? "" : " ").append(worstPerSecond.get(i) / 1000);
        }
        print("worst delivery latency in each second of the flood (ms): %s", worst);
        String closes = closes(members, start);
        print("members closed (client side, ms from the flood's start):%s", closes.isEmpty() ? " none" : closes);
        print("server: delivered %.0f, send_failed drops %.0f, closed slow_consumer %.0f",
                delta(metricsBefore, metricsAfter, "lobbyhub_messages_delivered_total"),
                delta(metricsBefore, metricsAfter, Window.SEND_FAILED),
                delta(metricsBefore, metricsAfter, "lobbyhub_connections_closed_total{reason=\"slow_consumer\"}"));
        long rssAfter = server.rssKb();
        long liveAfter = server.liveHeapKb();
        print("server memory: RSS before %d KiB, peak %d KiB (+%d), after %d KiB; live heap (after full GC) before"
                + " %d KiB, after %d KiB", rssBefore, rssPeak, rssPeak - rssBefore, rssAfter, liveBefore, liveAfter);
        print("  from /q/metrics every 250 ms: %s", peaks);

        LoadClient.Conn slow = members.get(SLOW);
        slow.ws.resume();
        Wait.until(slow::isClosed, Duration.ofSeconds(20), Duration.ofMillis(20));
        print("slow member after resume: %s; it had %d lobby_messages of the flood queued to it",
                slow.isClosed() ? "closed " + slow.closeCode + " " + slow.closeReason : "still open",
                received.get(SLOW));

        boolean ok = slowLeft && "slow_consumer".equals(slowLeftReason.get()) && everyoneGot(sent, false)
                && outOfOrder.sum() == 0 && members.stream().noneMatch(m -> m.index != SLOW && m.isClosed());
        print(ok ? "RESULT: slow member closed, every healthy member got every message in order"
                : "RESULT: FAILED (see above)");
        Wait.on(lobby.close(), Duration.ofSeconds(30));
        return ok;
    }

    /** Highest heap, Netty direct memory and event-loop backlog seen in scrapes, against the first scrape. */
    private static final class Peaks {
        private static final String HEAP = "jvm_memory_used_bytes";
        private static final String NETTY = "netty_allocator_memory_used";
        private static final String PENDING = "netty_eventexecutor_tasks_pending";
        private final double heapBefore;
        private final double directBefore;
        private double heap;
        private double direct;
        private double pending;

        Peaks(Map<String, Double> before) {
            heapBefore = ServerWatch.sum(before, HEAP, "area=\"heap\"");
            directBefore = ServerWatch.sum(before, NETTY, "memory_type=\"direct\"");
            heap = heapBefore;
            direct = directBefore;
        }

        void add(Map<String, Double> scrape) {
            heap = Math.max(heap, ServerWatch.sum(scrape, HEAP, "area=\"heap\""));
            direct = Math.max(direct, ServerWatch.sum(scrape, NETTY, "memory_type=\"direct\""));
            pending = Math.max(pending, ServerWatch.max(scrape, PENDING));
        }

        @Override
        public String toString() {
            return String.format("heap in use (garbage included) %.1f MiB before, peak %.1f MiB; Netty direct"
                    + " buffers %.1f MiB before, peak %.1f MiB; most tasks pending on one event loop %.0f",
                    heapBefore / 1048576, heap / 1048576, directBefore / 1048576, direct / 1048576, pending);
        }
    }

    /** " index=code reason at ms" for each closed member, times from {@code since}. */
    private static String closes(List<LoadClient.Conn> members, long since) {
        StringBuilder closes = new StringBuilder();
        for (LoadClient.Conn member : members) {
            if (member.isClosed()) {
                closes.append(' ').append(member.index).append('=').append(member.closeCode).append(' ')
                        .append(member.closeReason).append(" at ").append((member.closedNanos - since) / 1_000_000);
            }
        }
        return closes.toString();
    }

    /** Whether members 1–8 (and with {@code slowToo} member 9) have received {@code count} messages. */
    private boolean everyoneGot(long count, boolean slowToo) {
        for (int i = 1; i < (slowToo ? MEMBERS : SLOW); i++) {
            if (received.get(i) < count) {
                return false;
            }
        }
        return true;
    }

    private String healthyCounts() {
        StringBuilder counts = new StringBuilder("[");
        for (int i = 1; i < SLOW; i++) {
            counts.append(i == 1 ? "" : ", ").append(received.get(i));
        }
        return counts.append(']').toString();
    }

    private void reset() {
        for (int i = 0; i < MEMBERS; i++) {
            received.set(i, 0);
            lastSeq.set(i, -1);
        }
        latency.reset();
        outOfOrder.reset();
        for (int i = 0; i < MAX_SECONDS; i++) {
            worstPerSecond.set(i, 0);
        }
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String key) {
        return ServerWatch.value(after, key) - ServerWatch.value(before, key);
    }

    private static void print(String format, Object... values) {
        SweepScenario.print(format, values);
    }
}
