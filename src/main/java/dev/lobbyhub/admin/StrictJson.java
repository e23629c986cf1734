package dev.lobbyhub.admin;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads an admin request body as strictly as a WebSocket frame (SPEC §7): exactly one JSON object, no
 * duplicate keys, nothing after it. A lenient parser would let two readers of the same body disagree.
 */
final class StrictJson {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private StrictJson() {
    }

    /** The object, or null when the body is empty, not JSON, not one object, or has duplicate keys or trailing data. */
    static JsonNode object(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            JsonNode node = MAPPER.readTree(body);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }
}
