package dev.lobbyhub.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One admitted connection. Its life is {@code OPEN → CLOSING → CLOSED}: {@link #beginClose} wins
 * exactly once, so a connection is closed and announced as gone exactly once, whoever asks first.
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
    private final AtomicReference<State> state = new AtomicReference<>(State.OPEN);
    private volatile CloseCode closeCode;
    private volatile long lastInboundNanos;
    private volatile long rttMillis = -1;
    /** The lobby it was admitted to; set once, under the registry's lock, before anyone can see the session. */
    private Lobby joined;

    private volatile boolean welcomed;
    /** Frames sent before the welcome; guarded by {@code this}, null once welcomed. */
    private List<String> heldUntilWelcome = new ArrayList<>(2);

    public Session(String connectionId, String userId, String name, String lobby, Transport transport) {
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

    /** The current members of its lobby (this session included while it is a member), without a look-up. */
    public Session[] lobbyMembers() {
        return joined.members();
    }

    void joined(Lobby lobby) {
        this.joined = lobby;
    }

    public long connectedAtMillis() {
        return connectedAtMillis;
    }

    public State state() {
        return state.get();
    }

    public boolean isOpen() {
        return state.get() == State.OPEN;
    }

    /** How the server closed it, or null while open or when the client closed it. */
    public CloseCode closeCode() {
        return closeCode;
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

    /** Sends the welcome, then whatever was held for after it. Called once, by admission. */
    void sendWelcome(String welcome) {
        synchronized (this) {
            transport.send(welcome);
            for (String held : heldUntilWelcome) {
                transport.send(held);
            }
            heldUntilWelcome = null;
            welcomed = true;
        }
    }

    /** Moves OPEN → CLOSING; true only for the one caller that made the move. */
    boolean beginClose(CloseCode code) {
        if (state.compareAndSet(State.OPEN, State.CLOSING)) {
            closeCode = code;
            return true;
        }
        return false;
    }

    /** Marks the socket closed; returns the state it was in. */
    State markClosed() {
        return state.getAndSet(State.CLOSED);
    }

    Transport transport() {
        return transport;
    }

    @Override
    public String toString() {
        return "Session[" + connectionId + " user=" + userId + " lobby=" + lobby + " " + state.get() + "]";
    }
}
