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
 * The lobby log in Redis (SPEC §11): messages are appended and published by one script call
 * ({@code append.lua}) on the pinned connection, so one sender's messages keep their order; the
 * seat scripts append their own entries. Entries are read back with {@code XRANGE} from an offset,
 * for members coming back and for nodes that missed some.
 */
final class RedisLobbyLog implements LogReader {

    private static final RedisScripts.Script APPEND = RedisScripts.load("append");

    private final RedisScripts scripts;
    private final PinnedConnection pinned;
    private final String keyBase;
    private final Duration timeout;
    private final boolean numbered;

    RedisLobbyLog(RedisScripts scripts, PinnedConnection pinned, String keyBase, Duration timeout, boolean numbered) {
        this.scripts = scripts;
        this.pinned = pinned;
        this.keyBase = keyBase;
        this.timeout = timeout;
        this.numbered = numbered;
    }

    /**
     * Appends a message (its frame without offset) for the lobby, or one member ({@code to}), not for
     * {@code except}; with {@code request}, each node that delivers it answers {@code requestNode}
     * how many members it reached. Completes with its offset, or fails when Redis cannot take it,
     * also when the call reached Redis later than {@code cluster.redis-timeout} after it was sent
     * (it waited in a frozen Redis: the sender has given up on it, and nobody gets it).
     */
    Uni<Long> append(String lobby, String frame, String to, String except, String request, String requestNode) {
        return scripts.call(APPEND, "PUBLISH", lobby, frame, to == null ? "" : to,
                except == null ? "" : except, request == null ? "" : request, requestNode == null ? "" : requestNode,
                System.currentTimeMillis(), timeout.toMillis())
                .map(reply -> reply.get(0).toLong())
                .invoke(offset -> {
                    if (offset == 0) {
                        throw RedisScripts.unavailable(new IllegalStateException("the message reached Redis too late"));
                    }
                });
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
