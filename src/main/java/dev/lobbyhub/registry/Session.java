package dev.lobbyhub.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import dev.lobbyhub.protocol.CloseCode;
import dev.lobbyhub.protocol.LeaveReason;

/**
 * One admitted connection. Its life is {@code OPEN → CLOSING → CLOSED}: {@link #beginClose} wins
 * exactly once, setting its close code in the same atomic step, so a connection is closed and announced as gone
 * exactly once, whoever asks first.
 * Sends made before the {@code welcome} has gone out are held and follow it, so a member's first
 * frame is always its {@code welcome}.
 */
public final class Session {

    public enum State {
        OPEN,
        CLOSING,
        CLOSED
    }

    private final String connectionId;
    private final String userId;
    private final String name;
    private final String lobby;
    private final long connectedAtMillis;
    private final Transport transport;
    /** How it ends: null while open; set once, atomically with its close code, by whoever ends it first. */
    private final AtomicReference<Ending> ending = new AtomicReference<>();
    private volatile boolean socketClosed;
    /** When it stopped being open ({@link System#nanoTime}); 0 while open. */
    private volatile long endedAtNanos;
    private volatile long lastInboundNanos;
    private volatile long rttMillis = -1;
    /** Timestamp of the last {@code health_ping} not answered yet, or 0. */
    private volatile long unansweredPing;
    /** The lobby it was admitted to; set once, under the registry's lock, before anyone can see the session. */
    private Lobby joined;
    /** Where its client left the lobby's log, when it asked to recover; else null. */
    private final Resume resume;
    /** It hears live the lobby's log entries after this offset; set when it joins its lobby. */
    private volatile long liveAfter = Long.MAX_VALUE;
    /** The log offset at which its seat began (kept when a newer connection takes the seat over); -1 before. */
    private long seatStart = -1;
    /** Whether it took over a seat its user held already (SPEC §11: only then can it recover). */
    private boolean returning;
    /** Why its seat is held after its connection ended (SPEC §10), and until when (epoch ms); null while it is not. */
    private volatile LeaveReason awayFor;
    private volatile long awayUntilMillis;

    private volatile boolean welcomed;
    /** Frames sent before the welcome; guarded by {@code this}, null once welcomed. */
    private List<String> heldUntilWelcome = new ArrayList<>(2);

    public Session(String connectionId, String userId, String name, String lobby, Transport transport) {
        this(connectionId, userId, name, lobby, transport, null);
    }

    /** {@code resume}: where its client left the lobby's log, or null when it did not ask to recover. */
    public Session(String connectionId, String userId, String name, String lobby, Transport transport, Resume resume) {
        this.resume = resume;
        this.connectionId = connectionId;
        this.userId = userId;
        this.name = name;
        this.lobby = lobby;
        this.transport = transport;
        this.connectedAtMillis = System.currentTimeMillis();
        this.lastInboundNanos = System.nanoTime();
    }

    public String connectionId() {
        return connectionId;
    }

    public String userId() {
        return userId;
    }

    /** The token's display name, or null. */
    public String name() {
        return name;
    }

    public String lobby() {
        return lobby;
    }

    void joined(Lobby lobby) {
        this.joined = lobby;
    }

    /** The lobby it was admitted to (null before). */
    Lobby joinedLobby() {
        return joined;
    }

    Resume resume() {
        return resume;
    }

    /** The log offset after which it hears its lobby live. */
    long liveAfter() {
        return liveAfter;
    }

    /** Under its lobby's order lock, as it becomes a member: it hears the entries after {@code offset}. */
    void seatedAfter(long offset) {
        liveAfter = offset;
        if (seatStart < 0) {
            seatStart = offset;
        }
    }

    /** Under its lobby's order lock, after its lobby's log went on in a new epoch: it hears the entries after {@code offset}. */
    void hearsAfter(long offset) {
        liveAfter = offset;
    }

    /** Before it joins: it takes over {@code older}'s seat in the same lobby, which began where that one's did. */
    void takesOverSeatOf(Session older) {
        if (older == null) {
            return;
        }
        seatStart = older.seatStart;
        returning = true;
    }

    long seatStart() {
        return seatStart;
    }

    /** Under the node's lock: its connection ended and its seat is held until {@code untilMillis}. */
    void away(LeaveReason reason, long untilMillis) {
        awayUntilMillis = untilMillis;
        awayFor = reason;
    }

    /** Whether its seat is held for its return (its connection is gone). */
    public boolean isAway() {
        return awayFor != null;
    }

    /** Why it is away (what its lobby is told when the hold ends), or null. */
    public LeaveReason awayFor() {
        return awayFor;
    }

    /** Until when its seat is held (epoch ms); 0 while it is not away. */
    public long awayUntilMillis() {
        return awayUntilMillis;
    }

    boolean returning() {
        return returning;
    }

    public long connectedAtMillis() {
        return connectedAtMillis;
    }

    /** The server's close code, or {@link #CLIENT} when the client closed first. */
    private record Ending(CloseCode code) {
    }

    private static final Ending CLIENT = new Ending(null);

    public State state() {
        if (ending.get() == null) {
            return State.OPEN;
        }
        return socketClosed ? State.CLOSED : State.CLOSING;
    }

    public boolean isOpen() {
        return ending.get() == null;
    }

    /** How the server closed it, or null while open or when the client closed it. */
    public CloseCode closeCode() {
        Ending end = ending.get();
        return end == null ? null : end.code();
    }

    /** Records that a frame arrived: any inbound frame proves the connection alive. */
    public void touch() {
        lastInboundNanos = System.nanoTime();
    }

    public long lastInboundNanos() {
        return lastInboundNanos;
    }

    /** Last measured round-trip time in milliseconds, or -1 before the first pong. */
    public long rttMillis() {
        return rttMillis;
    }

    public void recordRtt(long millis) {
        rttMillis = millis;
    }

    /** Sends a {@code health_ping} frame carrying {@code timestamp} and remembers it until answered. */
    public void sendHealthPing(String frame, long timestamp) {
        unansweredPing = timestamp;
        send(frame);
    }

    /**
     * True once for the {@code health_pong} that answers the last ping: the server asked for it, so
     * it is not charged to the client's rate limit. Unsolicited or repeated pongs answer false.
     */
    public boolean answersPing(long timestamp) {
        if (timestamp != 0 && timestamp == unansweredPing) {
            unansweredPing = 0;
            return true;
        }
        return false;
    }

    /** Queues a frame to the client; held back until the welcome when sent earlier. */
    public void send(String text) {
        if (!welcomed) {
            synchronized (this) {
                if (!welcomed) {
                    heldUntilWelcome.add(text);
                    return;
                }
            }
        }
        transport.send(text);
    }

    /** Sends the welcome, the frames it recovered, then whatever was held for after it. Called once, by admission. */
    void sendWelcome(String welcome, List<String> recovered) {
        synchronized (this) {
            transport.admitted(this);
            transport.send(welcome);
            for (String missed : recovered) {
                transport.send(missed);
            }
            for (String held : heldUntilWelcome) {
                transport.send(held);
            }
            heldUntilWelcome = null;
            welcomed = true;
        }
    }

    /** Moves OPEN → CLOSING; true only for the one caller that made the move. */
    boolean beginClose(CloseCode code) {
        if (ending.compareAndSet(null, new Ending(code))) {
            endedAtNanos = System.nanoTime();
            return true;
        }
        return false;
    }

    /** Marks the socket closed; returns OPEN when this is how the session ends (the client closed it). */
    State markClosed() {
        socketClosed = true;
        if (ending.compareAndSet(null, CLIENT)) {
            endedAtNanos = System.nanoTime();
            return State.OPEN;
        }
        return State.CLOSING;
    }

    /** Whether it stopped being open more than {@code graceNanos} ago. */
    boolean endedBefore(long nowNanos, long graceNanos) {
        long ended = endedAtNanos;
        return ended != 0 && nowNanos - ended > graceNanos;
    }

    /** See {@link Transport#writeStalled}; for the health sweep. */
    public boolean writeStalled(long nowNanos, long timeoutNanos) {
        return transport.writeStalled(nowNanos, timeoutNanos);
    }

    Transport transport() {
        return transport;
    }

    @Override
    public String toString() {
        return "Session[" + connectionId + " user=" + userId + " lobby=" + lobby + " " + state() + "]";
    }
}
