package dev.lobbyhub.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on a free loopback port in front of a Redis (any TCP server, in fact), so that a test can
 * fail one node's Redis connections without touching Redis or the other nodes:
 * <ul>
 * <li>{@link #blackHole()}: nothing is forwarded any more, in either direction, and nothing is closed;
 * what the peers send is read and dropped. Connections accepted during the black hole are held open
 * and never connected upstream. This is a network that silently loses every packet: the node's
 * sockets look open, its commands never get an answer.</li>
 * <li>{@link #heal()}: new connections are forwarded again. A connection that was black-holed stays
 * dead until its client closes it (or {@link #dropAll()}): a node has to notice that its old
 * connections stopped answering and replace them. If Redis closes its end of a dead connection
 * (e.g. {@code CLIENT KILL}), the client is not told either.</li>
 * <li>{@link #dropAll()}: closes every proxied connection at once (with RST), while new ones are still
 * accepted.</li>
 * <li>{@link #cut()}: a network that is gone and says so: every connection, present and future, is reset
 * until {@link #restore()}.</li>
 * </ul>
 * Every thread is a daemon; {@link #close()} stops listening and closes every socket.
 */
public final class RedisProxy implements AutoCloseable {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int BUFFER = 16 * 1024;

    private final int targetPort;
    private final ServerSocket listener;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicInteger sequence = new AtomicInteger();
    private volatile boolean blackHoled;
    private volatile boolean refusing;
    private volatile boolean closed;

    private RedisProxy(int targetPort, ServerSocket listener) {
        this.targetPort = targetPort;
        this.listener = listener;
    }

    /** A proxy in front of {@code redis}; it forwards from the start. */
    public static RedisProxy start(RedisServer redis) throws IOException {
        return start(redis.port());
    }

    /**
     * A proxy in front of whatever listens on loopback {@code targetPort}, now or later: every new
     * connection connects upstream anew, so a Redis restarted on the same port is reached.
     */
    public static RedisProxy start(int targetPort) throws IOException {
        ServerSocket listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(LOOPBACK, 0), 200);
        RedisProxy proxy = new RedisProxy(targetPort, listener);
        Thread acceptor = new Thread(proxy::acceptLoop, "redis-proxy-accept-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
        return proxy;
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** {@code redis://127.0.0.1:<port>}, for {@code quarkus.redis.hosts}. */
    public String uri() {
        return "redis://127.0.0.1:" + port();
    }

    /** Stops forwarding on every connection, present and future, keeping every socket open. */
    public void blackHole() {
        blackHoled = true;
        for (Link link : links) {
            link.dead = true;
        }
    }

    /** New connections are forwarded again; the black-holed ones stay dead (see the class comment). */
    public void heal() {
        blackHoled = false;
    }

    public boolean isBlackHoled() {
        return blackHoled;
    }

    /** Closes every proxied connection at once, both ends, with RST; new connections are still accepted. */
    public void dropAll() {
        for (Link link : links) {
            link.close(true);
        }
    }

    /** Resets every connection, and every new one until {@link #restore()}: the client sees its network fail. */
    public void cut() {
        refusing = true;
        dropAll();
    }

    /** New connections are forwarded again after {@link #cut()}. */
    public void restore() {
        refusing = false;
    }

    /** Proxied connections open now (black-holed ones included). */
    public int openConnections() {
        return links.size();
    }

    /** Black-holed connections still open. */
    public int deadConnections() {
        int dead = 0;
        for (Link link : links) {
            if (link.dead) {
                dead++;
            }
        }
        return dead;
    }

    /** Connections accepted since the start. */
    public long acceptedConnections() {
        return accepted.get();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            accepted.incrementAndGet();
            int id = sequence.incrementAndGet();
            if (refusing) {
                resetAndClose(client);
                continue;
            }
            try {
                client.setTcpNoDelay(true);
                if (blackHoled) {
                    Link link = new Link(id, client, null);
                    link.dead = true;
                    register(link);
                    continue;
                }
                Socket upstream = new Socket();
                try {
                    upstream.connect(new InetSocketAddress(LOOPBACK, targetPort), 2000);
                    upstream.setTcpNoDelay(true);
                } catch (IOException unreachable) {
                    // Redis is down: the client sees a refused connection the only way a proxy can show it.
                    upstream.close();
                    resetAndClose(client);
                    continue;
                }
                register(new Link(id, client, upstream));
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private void register(Link link) {
        links.add(link);
        if (blackHoled) {
            // blackHole() may have run between the accept and the add: it did not see this link.
            link.dead = true;
        }
        if (closed || refusing) {
            // close() or cut() may have run between the accept and the add, as above.
            link.close(refusing);
            return;
        }
        link.start();
    }

    /** One client connection and its upstream twin. */
    private final class Link {
        private final int id;
        private final Socket client;
        private final Socket upstream;
        volatile boolean dead;
        private volatile boolean ended;

        Link(int id, Socket client, Socket upstream) {
            this.id = id;
            this.client = client;
            this.upstream = upstream;
        }

        void start() {
            thread("c2u", () -> pump(client, upstream, true));
            if (upstream != null) {
                thread("u2c", () -> pump(upstream, client, false));
            }
        }

        private void thread(String direction, Runnable body) {
            Thread thread = new Thread(body, "redis-proxy-" + port() + "-" + id + "-" + direction);
            thread.setDaemon(true);
            thread.start();
        }

        /** Copies {@code from} to {@code to} while the link is alive; reads and drops while it is dead. */
        private void pump(Socket from, Socket to, boolean fromClient) {
            byte[] buffer = new byte[BUFFER];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to == null ? null : to.getOutputStream();
                while (true) {
                    int n = in.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    if (!dead && out != null) {
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException ended) {
                // closed by the other pump, by dropAll() or close(), or reset by the peer
            }
            if (dead && !fromClient) {
                // Redis let go of a black-holed connection: its client must not learn of it.
                closeQuietly(upstream);
                return;
            }
            close(false);
        }

        void close(boolean reset) {
            if (ended) {
                return;
            }
            ended = true;
            links.remove(this);
            if (reset) {
                resetAndClose(client);
                if (upstream != null) {
                    resetAndClose(upstream);
                }
            } else {
                closeQuietly(client);
                closeQuietly(upstream);
            }
        }
    }

    private static void resetAndClose(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException alreadyClosed) {
            // closing below is all that is left
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(Socket socket) {
        if (socket == null) {
            return;
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /** Stops accepting and closes every connection. Safe to call twice. */
    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Link link : links) {
            link.close(false);
        }
    }
}
