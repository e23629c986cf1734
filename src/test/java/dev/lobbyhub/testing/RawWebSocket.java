package dev.lobbyhub.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client over a plain socket that writes whatever frames a test asks for, including
 * ones no browser would send: reserved bits, invalid UTF-8, one huge frame. It reads the server's
 * frames synchronously; every read is bounded by {@link TestSocket#WAIT}.
 */
public final class RawWebSocket implements AutoCloseable {

    public static final int TEXT = 0x1;
    public static final int BINARY = 0x2;
    public static final int CONTINUATION = 0x0;
    public static final int CLOSE = 0x8;
    public static final int PING = 0x9;
    public static final int PONG = 0xA;

    /** One frame from the server. */
    public record Frame(int opcode, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects and completes the handshake for {@code pathAndQuery}; fails unless the server answers 101. */
    public static RawWebSocket connect(URI base, String pathAndQuery) throws IOException {
        return connect(base, pathAndQuery, "");
    }

    /** As {@link #connect(URI, String)}, with extra header lines ({@code "Origin: https://x\r\n"}). */
    public static RawWebSocket connect(URI base, String pathAndQuery, String extraHeaders) throws IOException {
        Socket socket = new Socket(base.getHost(), base.getPort());
        socket.setSoTimeout((int) TestSocket.WAIT.toMillis());
        RawWebSocket raw = new RawWebSocket(socket);
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        String request = "GET " + pathAndQuery + " HTTP/1.1\r\n"
                + "Host: " + base.getHost() + ":" + base.getPort() + "\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n";
        raw.out.write(request.getBytes(StandardCharsets.US_ASCII));
        raw.out.flush();
        String head = readHead(raw.in);
        if (!head.startsWith("HTTP/1.1 101")) {
            socket.close();
            throw new IOException("no upgrade: " + head);
        }
        return raw;
    }

    /**
     * A handshake written up to its last line end and held there: the server has the whole request but
     * its end, so {@link #fire()} starts the connection with nothing left to send but two bytes, at the
     * moment a test chooses (the client's own connect and write times are out of the race).
     */
    public static final class Primed implements AutoCloseable {
        private final RawWebSocket raw;

        private Primed(RawWebSocket raw) {
            this.raw = raw;
        }

        /** Ends the request and waits for the upgrade; fails unless the server answers 101. */
        public RawWebSocket fire() throws IOException {
            raw.out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            raw.out.flush();
            String head = readHead(raw.in);
            if (!head.startsWith("HTTP/1.1 101")) {
                raw.close();
                throw new IOException("no upgrade: " + head);
            }
            return raw;
        }

        @Override
        public void close() {
            raw.close();
        }
    }

    /** Connects and writes the handshake for {@code pathAndQuery} but its final line end; see {@link Primed}. */
    public static Primed prime(URI base, String pathAndQuery) throws IOException {
        Socket socket = new Socket(base.getHost(), base.getPort());
        socket.setSoTimeout((int) TestSocket.WAIT.toMillis());
        socket.setTcpNoDelay(true);
        RawWebSocket raw = new RawWebSocket(socket);
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        String request = "GET " + pathAndQuery + " HTTP/1.1\r\n"
                + "Host: " + base.getHost() + ":" + base.getPort() + "\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n";
        raw.out.write(request.getBytes(StandardCharsets.US_ASCII));
        raw.out.flush();
        return new Primed(raw);
    }

    /** Reads an HTTP response head, up to the blank line. */
    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed during the handshake: " + head);
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** Writes one masked frame, as a client must. */
    public void sendFrame(boolean fin, int rsv, int opcode, byte[] payload) throws IOException {
        sendFrame(fin, rsv, opcode, payload, true);
    }

    /** Writes one frame; {@code masked} false breaks RFC 6455 §5.1 (a client must mask). */
    public synchronized void sendFrame(boolean fin, int rsv, int opcode, byte[] payload, boolean masked)
            throws IOException {
        ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
        frame.write((fin ? 0x80 : 0) | (rsv & 0x7) << 4 | opcode);
        int maskBit = masked ? 0x80 : 0;
        if (payload.length < 126) {
            frame.write(maskBit | payload.length);
        } else if (payload.length < 65536) {
            frame.write(maskBit | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length & 0xff);
        } else {
            frame.write(maskBit | 127);
            long length = payload.length;
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) (length >>> shift) & 0xff);
            }
        }
        byte[] mask = new byte[4];
        if (masked) {
            ThreadLocalRandom.current().nextBytes(mask);
            frame.write(mask);
        }
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i & 3]);
        }
        out.write(frame.toByteArray());
        out.flush();
    }

    /** Starts the closing handshake from the client's side, with this code and reason. */
    public void sendClose(int code, String reason) throws IOException {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[2 + text.length];
        payload[0] = (byte) (code >>> 8);
        payload[1] = (byte) code;
        System.arraycopy(text, 0, payload, 2, text.length);
        sendFrame(true, 0, CLOSE, payload);
    }

    public void sendText(String text) throws IOException {
        sendFrame(true, 0, TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    /** How long a read may wait for a byte before it fails with a {@link SocketTimeoutException}. */
    public void readTimeout(java.time.Duration limit) throws IOException {
        socket.setSoTimeout((int) limit.toMillis());
    }

    /** The next frame from the server. */
    public Frame readFrame() throws IOException {
        int first = in.readUnsignedByte();
        int second = in.readUnsignedByte();
        long length = second & 0x7f;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        byte[] payload = new byte[(int) length];
        in.readFully(payload);
        return new Frame(first & 0x0f, payload);
    }

    /** The next text frame, skipping the server's health pings. */
    public String nextText() throws IOException {
        while (true) {
            Frame frame = readFrame();
            if (frame.opcode() == CLOSE) {
                throw new IOException("closed: " + close(frame));
            }
            if (frame.opcode() == TEXT && !frame.text().contains("\"health_ping\"")) {
                return frame.text();
            }
        }
    }

    /**
     * Reads until the server's close frame and returns its code and reason; code -1 when the
     * connection ended without one (what a browser reports as 1006).
     */
    public TestSocket.Close awaitClose() throws IOException {
        try {
            while (true) {
                Frame frame = readFrame();
                if (frame.opcode() == CLOSE) {
                    return close(frame);
                }
            }
        } catch (EOFException | java.net.SocketException e) {
            return new TestSocket.Close(-1, e.toString());
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no close within " + TestSocket.WAIT, e);
        }
    }

    private static TestSocket.Close close(Frame frame) {
        byte[] p = frame.payload();
        if (p.length < 2) {
            return new TestSocket.Close(1005, "");
        }
        return new TestSocket.Close((p[0] & 0xff) << 8 | (p[1] & 0xff),
                new String(p, 2, p.length - 2, StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
