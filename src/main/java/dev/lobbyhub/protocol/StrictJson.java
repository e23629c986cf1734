package dev.lobbyhub.protocol;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The one JSON reader for what clients send, WebSocket frames and admin bodies alike (SPEC §3, §7):
 * no duplicate keys, nothing after the value. A lenient parser would let two readers of the same
 * text disagree.
 */
public final class StrictJson {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** For {@link #parser}: its caller checks what follows the value itself, as it reads on past it. */
    private static final ObjectMapper TOKENS = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private StrictJson() {
    }

    /** The JSON value of the text; fails on invalid JSON, duplicate keys and trailing data. */
    public static JsonNode read(String text) throws IOException {
        return MAPPER.readTree(text);
    }

    /**
     * A token reader over the text that fails on duplicate keys and reads single values as trees; the
     * caller must read to the end to rule out trailing data.
     */
    public static JsonParser parser(String text) throws IOException {
        return TOKENS.createParser(text);
    }

    /** The object, or null when the body is empty, not JSON, not one object, or has duplicate keys or trailing data. */
    public static JsonNode object(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            JsonNode node = read(body);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }
}
