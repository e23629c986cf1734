package dev.lobbyhub.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * Sends bytes that are meant to look like HTTP, however broken, and returns what the server
 * answered before it closed or went quiet: for requests no HTTP client library would send.
 */
public final class RawHttp {

    private RawHttp() {
    }

    /** Writes the request and reads the answer until the server closes, or a second passes without a byte. */
    public static String exchange(URI base, String request) throws IOException {
        return exchange(base, request, 1_000);
    }

    /**
     * As {@link #exchange(URI, String)}, waiting up to {@code quietMillis} for each byte: for a request
     * whose answer matters, sent with {@code Connection: close} so the wait ends with the answer.
     */
    public static String exchange(URI base, String request, int quietMillis) throws IOException {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(quietMillis);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            StringBuilder answer = new StringBuilder();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    answer.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                }
            } catch (SocketTimeoutException | java.net.SocketException quietOrReset) {
                // what arrived so far is the answer
            }
            return answer.toString();
        }
    }

    /** The status code of an answer, or -1 when there was none. */
    public static int status(String answer) {
        return answer.startsWith("HTTP/1.") && answer.length() >= 12 ? Integer.parseInt(answer.substring(9, 12)) : -1;
    }
}
