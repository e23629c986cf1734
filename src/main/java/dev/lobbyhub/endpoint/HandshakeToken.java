package dev.lobbyhub.endpoint;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

import io.quarkus.websockets.next.HandshakeRequest;

/** Finds the token of a connection attempt: the {@code token} query parameter, else an {@code Authorization: Bearer} header. */
final class HandshakeToken {

    private static final String BEARER = "Bearer ";

    private HandshakeToken() {
    }

    /** The token, or null when the request carries none. */
    static String find(HandshakeRequest request) {
        String fromQuery = queryParameter(request.query(), "token");
        if (fromQuery != null && !fromQuery.isEmpty()) {
            return fromQuery;
        }
        String header = request.header("Authorization");
        if (header != null && header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return header.substring(BEARER.length()).trim();
        }
        return null;
    }

    static String queryParameter(String query, String name) {
        if (query == null || query.isEmpty()) {
            return null;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            if (key.equals(name)) {
                String value = eq < 0 ? "" : pair.substring(eq + 1);
                try {
                    return URLDecoder.decode(value, StandardCharsets.UTF_8);
                } catch (IllegalArgumentException malformed) {
                    return value;
                }
            }
        }
        return null;
    }
}
