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

    /** How the log is kept; {@code historySize} 0 turns it off. */
    record Settings(int historySize, long ttlMillis, long maxReplayBytes) {

        static final Settings OFF = new Settings(0, 0, 0);

        boolean on() {
            return historySize > 0;
        }
    }

    /**
     * One entry: the frame as members get it, and who it is meant for: only {@code only} when set
     * (a direct message), everyone but {@code except} (the sender, or the member a presence event is
     * about).
     */
    record Entry(long offset, String frame, String only, String except) {

        boolean meantFor(String userId) {
            return (only == null || only.equals(userId)) && !userId.equals(except);
        }

        /** Whether this member hears it live: meant for it and after the member took its seat. */
        boolean reaches(Session member) {
            return offset > member.liveAfter() && meantFor(member.userId());
        }
    }

    private final Settings settings;
    private final Entry[] ring;
    /** The offset of the last entry; 0 before the first. */
    private long last;
    /** How many of the last entries are held (at most the ring's length). */
    private int held;
    private long lastAppendMillis;

    LobbyLog(Settings settings) {
        this.settings = settings;
        this.ring = new Entry[settings.historySize()];
    }

    boolean on() {
        return ring.length > 0;
    }

    /** The offset of the last entry; 0 while the lobby sent nothing. */
    synchronized long last() {
        return last;
    }

    /** Appends a frame (built without {@code offset}); the entry's frame carries it when the log is on. */
    synchronized Entry append(String frame, String only, String except, long nowMillis) {
        long offset = ++last;
        if (ring.length == 0) {
            return new Entry(offset, frame, only, except);
        }
        if (expired(nowMillis)) {
            held = 0;
        }
        Entry entry = new Entry(offset, ServerMessages.withOffset(frame, offset), only, except);
        ring[(int) (offset % ring.length)] = entry;
        held = Math.min(held + 1, ring.length);
        lastAppendMillis = nowMillis;
        return entry;
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
            Entry entry = ring[(int) (offset % ring.length)];
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
