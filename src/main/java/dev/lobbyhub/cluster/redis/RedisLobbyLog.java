package dev.lobbyhub.cluster.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.lobbyhub.registry.LogEntry;
import dev.lobbyhub.registry.LogReader;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;

/**
 * The lobby log in Redis (SPEC §11): messages are appended and published by script calls
 * ({@code append.lua}) on the pinned connection, so one sender's messages keep their order; the
 * messages waiting there together share one call. The seat scripts append their own entries.
 * Entries are read back with {@code XRANGE} from an offset, for members coming back and for nodes
 * that missed some.
 */
final class RedisLobbyLog implements LogReader {

    private static final RedisScripts.Script APPEND = RedisScripts.load("append");
    /** Messages per append call: a call of this many runs about a millisecond in Redis. */
    private static final int MAX_MESSAGES_PER_CALL = 64;

    private final RedisScripts scripts;
    private final PinnedConnection pinned;
    private final String keyBase;
    private final Duration timeout;
    private final boolean numbered;
    private final int historySize;
    private final long historyTtlMillis;
    private final PinnedConnection.Merge appends = new PinnedConnection.Merge() {
        @Override
        public Request request(List<Object> items) {
            Request call = Request.cmd(Command.EVALSHA).arg(APPEND.sha()).arg(1).arg(keyBase);
            return withArguments(call, items);
        }

        @Override
        public int maxItems() {
            return MAX_MESSAGES_PER_CALL;
        }
    };

    /** One message to append: see {@link #append}. */
    private record Append(String lobby, String frame, String to, String except, String request, String requestNode,
            long sentAt) {
    }

    RedisLobbyLog(RedisScripts scripts, PinnedConnection pinned, String keyBase, Duration timeout, int historySize,
            Duration historyTtl) {
        this.scripts = scripts;
        this.pinned = pinned;
        this.keyBase = keyBase;
        this.timeout = timeout;
        this.numbered = historySize > 0;
        this.historySize = historySize;
        this.historyTtlMillis = historyTtl.toMillis();
    }

    /**
     * Appends a message (its frame without offset) for the lobby, or one member ({@code to}), not for
     * {@code except}; with {@code request}, each node that delivers it answers {@code requestNode}
     * how many members it reached. Completes with its offset, or fails when Redis cannot take it,
     * also when the call reached Redis later than {@code cluster.redis-timeout} after it was sent
     * (it waited in a frozen Redis: the sender has given up on it, and nobody gets it).
     */
    Uni<Long> append(String lobby, String frame, String to, String except, String request, String requestNode) {
        Append message = new Append(lobby, frame, to == null ? "" : to, except == null ? "" : except,
                request == null ? "" : request, requestNode == null ? "" : requestNode, System.currentTimeMillis());
        return pinned.sendMerged(appends, message)
                // Redis lost the script (SCRIPT FLUSH): this one goes alone, as EVAL.
                .onFailure(RedisScripts::isNoScript).recoverWithUni(() -> scripts.call(APPEND, arguments(message))
                        .map(reply -> reply.get(0)))
                .ifNoItem().after(timeout).failWith(() -> new RedisScripts.BackplaneTimeout("append", timeout))
                .onFailure(RedisScripts::isUnreachable).transform(RedisScripts::unavailable)
                .map(Response::toLong)
                .invoke(offset -> {
                    if (offset == 0) {
                        throw RedisScripts.unavailable(new IllegalStateException("the message reached Redis too late"));
                    }
                    if (offset < 0) {
                        throw new IllegalArgumentException("Redis refused the message to lobby " + lobby + " as malformed");
                    }
                });
    }

    /** The script's arguments after the key base, for these messages (the oldest's send time for all). */
    private Request withArguments(Request call, List<Object> items) {
        call.arg("PUBLISH").arg(((Append) items.get(0)).sentAt()).arg(timeout.toMillis()).arg(historySize)
                .arg(historyTtlMillis);
        for (Object item : items) {
            Append message = (Append) item;
            call.arg(message.lobby()).arg(message.frame()).arg(message.to()).arg(message.except())
                    .arg(message.request()).arg(message.requestNode());
        }
        return call;
    }

    private Object[] arguments(Append message) {
        return new Object[] { "PUBLISH", message.sentAt(), timeout.toMillis(), historySize, historyTtlMillis,
                message.lobby(), message.frame(), message.to(), message.except(), message.request(),
                message.requestNode() };
    }

    @Override
    public Uni<List<LogEntry>> read(String lobby, long after, long upTo) {
        return readLogged(lobby, after, upTo).map(entries -> {
            List<LogEntry> read = new ArrayList<>(entries.size());
            for (LoggedEntry entry : entries) {
                read.add(entry.toLogEntry(numbered));
            }
            return read;
        });
    }

    /** The entries after {@code after} up to {@code upTo} as the stream still holds them. */
    Uni<List<LoggedEntry>> readLogged(String lobby, long after, long upTo) {
        Request range = Request.cmd(Command.XRANGE).arg(keyBase + "log:" + lobby).arg((after + 1) + "-0")
                .arg(upTo + "-0");
        return pinned.send(range)
                .ifNoItem().after(timeout).failWith(() -> new RedisScripts.BackplaneTimeout("xrange", timeout))
                .onFailure(RedisScripts::isUnreachable).transform(RedisScripts::unavailable)
                .map(RedisLobbyLog::entries);
    }

    private static List<LoggedEntry> entries(Response reply) {
        List<LoggedEntry> entries = new ArrayList<>(reply == null ? 0 : reply.size());
        if (reply == null) {
            return entries;
        }
        for (Response item : reply) {
            Response values = item.get(1);
            String fields = null;
            String frame = "";
            for (int i = 0; i + 1 < values.size(); i += 2) {
                String name = values.get(i).toString();
                if ("m".equals(name)) {
                    fields = values.get(i + 1).toString();
                } else if ("f".equals(name)) {
                    frame = values.get(i + 1).toString();
                }
            }
            if (fields != null) {
                entries.add(new LoggedEntry(Envelope.json(fields), frame));
            }
        }
        return entries;
    }
}
