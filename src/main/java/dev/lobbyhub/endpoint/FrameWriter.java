package dev.lobbyhub.endpoint;

/**
 * The write side of one socket: hands text frames over and tells how far the client has read.
 * Used on the connection's event loop, except {@link #backlogged} and {@link #progress}, which the
 * health sweep reads from its own thread.
 */
interface FrameWriter {

    /**
     * Bytes handed to the socket that the client has not accepted yet (frame headers of a few bytes
     * included), and brings {@link #progress} up to date.
     */
    long backlog();

    /**
     * Hands one text frame over, unless its UTF-8 bytes are more than {@code room}.
     *
     * @return the frame's UTF-8 bytes, or -1 when it did not fit and nothing was written
     */
    long write(String text, long room);

    /** Sends what {@link #write} handed over since the last flush. */
    void flush();

    /** Whether bytes handed over are waiting for the client; any thread. */
    boolean backlogged();

    /** A count that grows when the client accepts bytes, as of the last {@link #backlog}; any thread. */
    long progress();
}
