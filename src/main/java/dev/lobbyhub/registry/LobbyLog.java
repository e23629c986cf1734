package dev.lobbyhub.registry;

import java.util.ArrayList;
import java.util.List;

import dev.lobbyhub.protocol.ServerMessages;
import dev.lobbyhub.protocol.Utf8;

/**
 * One lobby's ordered log on this node (SPEC §11): every frame the lobby sends its members gets the
 * next offset, and the last {@code history-size} entries are kept for members coming back. Entries
 * are dropped all at once when the lobby sent nothing for {@code history-ttl}; offsets go on.
 * With the log off (size 0) offsets are still counted, so that a member hears exactly the entries
 * after it took its seat, but frames carry none and nothing is kept.
 *
 * <p>
 * Guarded by its own monitor, which is also the lobby's order lock: whoever appends holds it while
 * queueing the entry for delivery, and members join and leave under it ({@link Lobby}).
 */
final class LobbyLog {

    /**
     * How the log is kept; {@code historySize} 0 turns it off. {@code shared}: the log is the
     * cluster's, numbered and kept in Redis; this node only follows its offsets.
     */
    record Settings(int historySize, long ttlMillis, long maxReplayBytes, boolean shared) {

        Settings(int historySize, long ttlMillis, long maxReplayBytes) {
            this(historySize, ttlMillis, maxReplayBytes, false);
        }

        static final Settings OFF = new Settings(0, 0, 0);

        /** The cluster's log, as this node follows it. */
        Settings sharedInCluster() {
            return new Settings(historySize, ttlMillis, maxReplayBytes, true);
        }
    }

    /** The offset of an entry that is not in the log (cluster mode, Redis unreachable): every member hears it. */
    static final long UNNUMBERED = Long.MAX_VALUE;

    private final Settings settings;
    /** Whether frames carry their offset. */
    private final boolean numbered;
    private final LogEntry[] ring;
    /** The offset of the last entry; 0 before the first. */
    private long last;
    /** How many of the last entries are held (at most the ring's length). */
    private int held;
    private long lastAppendMillis;

    LobbyLog(Settings settings) {
        this.settings = settings;
        this.numbered = settings.historySize() > 0;
        this.ring = new LogEntry[settings.shared() ? 0 : settings.historySize()];
    }

    /** Whether the log is on: frames carry offsets (and on one node, entries are kept here). */
    boolean on() {
        return numbered;
    }

    /** Whether the log is the cluster's: offsets come with the entries, none is kept here. */
    boolean shared() {
        return settings.shared();
    }

    /** The offset of the last entry; 0 while the lobby sent nothing. */
    synchronized long last() {
        return last;
    }

    /**
     * Appends a frame (built without {@code offset}); the entry's frame carries it when the log is
     * on. A shared log is numbered by the cluster: here the frame is not in it, has no offset, and
     * every member it is meant for hears it.
     */
    synchronized LogEntry append(String frame, String only, String except, long nowMillis) {
        if (settings.shared()) {
            return new LogEntry(UNNUMBERED, frame, only, except);
        }
        long offset = ++last;
        if (ring.length == 0) {
            return new LogEntry(offset, frame, only, except);
        }
        if (expired(nowMillis)) {
            held = 0;
        }
        LogEntry entry = new LogEntry(offset, ServerMessages.withOffset(frame, offset), only, except);
        ring[(int) (offset % ring.length)] = entry;
        held = Math.min(held + 1, ring.length);
        lastAppendMillis = nowMillis;
        return entry;
    }

    /** An entry of the cluster's log at its offset (in offset order); its frame carries the offset when the log is on. */
    synchronized LogEntry appendAt(long offset, String frame, String only, String except) {
        last = Math.max(last, offset);
        return new LogEntry(offset, numbered ? ServerMessages.withOffset(frame, offset) : frame, only, except);
    }

    /** The cluster's log reached {@code offset} with an entry this node's members do not hear. */
    synchronized void followTo(long offset) {
        last = Math.max(last, offset);
    }

    /** The cluster's log was lost and goes on in a new epoch after {@code offset}. */
    synchronized void restartAt(long offset) {
        last = offset;
    }

    /**
     * The frames after {@code since} up to {@code upTo} meant for {@code userId}, in order; null when
     * the log no longer holds all of them, {@code since} is outside the log, or they would not fit in
     * {@code max-outbound-bytes}.
     */
    synchronized List<String> missed(long since, long upTo, String userId, long nowMillis) {
        if (ring.length == 0 || since < 0 || since > upTo || upTo > last) {
            return null;
        }
        if (since == upTo) {
            return List.of();
        }
        int available = expired(nowMillis) ? 0 : held;
        if (since < last - available) {
            return null;
        }
        List<String> frames = new ArrayList<>();
        long bytes = 0;
        for (long offset = since + 1; offset <= upTo; offset++) {
            LogEntry entry = ring[(int) (offset % ring.length)];
            if (entry.meantFor(userId)) {
                bytes += Utf8.length(entry.frame());
                if (bytes > settings.maxReplayBytes()) {
                    return null;
                }
                frames.add(entry.frame());
            }
        }
        return frames;
    }

    private boolean expired(long nowMillis) {
        return held > 0 && nowMillis - lastAppendMillis > settings.ttlMillis();
    }
}
