package dev.lobbyhub.cluster.redis;

import java.io.IOException;
import java.io.UncheckedIOException;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What nodes publish to each other: a one-line JSON header, a newline, then a body, usually a
 * client frame serialized once by the sending node and handed on unchanged. The lobby log's
 * entries, which the scripts publish on the same lobby channel, begin with {@code L}
 * ({@link LoggedEntry}); an envelope begins with its header's <code>{</code>.
 *
 * <p>
 * Header fields: {@code o} the sending node; {@code t} when it was sent (the sender's epoch
 * milliseconds: what would arrive later than {@code cluster.redis-timeout} is dropped); on a lobby channel {@code to} (a direct message's
 * user), {@code xu} (a user not to deliver to); for requests {@code r} (request id) and {@code rn}
 * (the node to answer); on a node channel {@code c} (the command) and {@code u} (its user), or
 * {@code re} (the id answered) and {@code v} (the answer).
 */
record Envelope(JsonNode header, String body) {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    static ObjectNode header(String origin, long sentAtMillis) {
        return MAPPER.createObjectNode().put("o", origin).put("t", sentAtMillis);
    }

    /**
     * How every envelope from {@code origin} begins: its header opens with {@code o}. Lets the hot paths
     * write a lobby message's header without building one, and drop the node's own echo unparsed.
     */
    static String originPrefix(String origin) {
        return "{\"o\":\"" + new String(JsonStringEncoder.getInstance().quoteAsString(origin)) + "\"";
    }

    /** A lobby message's whole envelope from the origin of {@code originPrefix}: the same as encode(header(origin, t), frame). */
    static String lobbyMessage(String originPrefix, long sentAtMillis, String frame) {
        return originPrefix + ",\"t\":" + sentAtMillis + "}\n" + frame;
    }

    /** Whether {@code payload} is an envelope that {@link #originPrefix} says comes from that origin. */
    static boolean isFrom(String payload, String originPrefix) {
        if (!payload.startsWith(originPrefix) || payload.length() == originPrefix.length()) {
            return false;
        }
        char next = payload.charAt(originPrefix.length());
        return next == ',' || next == '}';
    }

    static String encode(ObjectNode header, String body) {
        try {
            return MAPPER.writeValueAsString(header) + "\n" + body;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True for an envelope, false for a seat event (or any other one-line payload). */
    static boolean isEnvelope(String payload) {
        return payload.indexOf('\n') > 0;
    }

    static Envelope decode(String payload) {
        int newline = payload.indexOf('\n');
        return new Envelope(json(payload.substring(0, newline)), payload.substring(newline + 1));
    }

    static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** When the sender sent it (epoch milliseconds), or 0 when the header does not say. */
    long sentAtMillis() {
        return header.path("t").asLong(0);
    }

    /** A header field as text, or null when absent or JSON null. */
    String text(String field) {
        JsonNode value = header.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
