package dev.lobbyhub.directory;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lobbyhub.protocol.LobbyCode;
import dev.lobbyhub.protocol.PropertyMatch;

/**
 * Reads what players send the directory and quick join (SPEC §13), refusing anything malformed with the
 * error code and message the answer carries: query parameters of {@code GET /lobbies}, the body of
 * {@code POST /lobbies/quick-join}.
 */
final class DirectoryRequests {

    static final int MAX_FILTERS = 5;
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 100;
    static final String PROP = "prop.";

    /** Why a request is refused: its error code and message. */
    static final class BadRequest extends Exception {
        final String code;

        BadRequest(String code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    /** A directory listing as asked. */
    record Listing(Map<String, Set<String>> match, boolean hasSpace, int limit, String cursor) {
    }

    /** A quick join as asked: the properties to match (and give a new lobby), its {@code max_members} or null. */
    record QuickJoinBody(Map<String, Set<String>> match, String properties, Map<String, String> tokens,
            Integer maxMembers) {
    }

    private DirectoryRequests() {
    }

    /** The listing the query parameters ask for (each parameter given once). */
    static Listing listing(Map<String, List<String>> parameters) throws BadRequest {
        Map<String, Set<String>> match = new LinkedHashMap<>();
        boolean hasSpace = false;
        int limit = DEFAULT_LIMIT;
        String cursor = null;
        int filters = 0;
        for (String name : parameters.keySet()) {
            if (name.startsWith(PROP) && ++filters > MAX_FILTERS) {
                throw new BadRequest("too_many_filters", "at most " + MAX_FILTERS + " prop. filters");
            }
        }
        for (Map.Entry<String, List<String>> parameter : parameters.entrySet()) {
            String name = parameter.getKey();
            if (parameter.getValue().size() != 1) {
                throw new BadRequest("invalid_filter", "give each parameter once: " + shown(name));
            }
            String value = parameter.getValue().get(0);
            if (name.startsWith(PROP)) {
                String key = name.substring(PROP.length());
                if (key.isEmpty() || key.length() > PropertyMatch.MAX_VALUE_CHARS) {
                    throw new BadRequest("invalid_filter", "a prop. filter names a property key of 1 to "
                            + PropertyMatch.MAX_VALUE_CHARS + " characters");
                }
                if (value.length() > PropertyMatch.MAX_VALUE_CHARS) {
                    throw new BadRequest("invalid_filter", "filter values are at most " + PropertyMatch.MAX_VALUE_CHARS
                            + " characters: " + shown(name));
                }
                match.put(key, PropertyMatch.accepted(value));
                continue;
            }
            switch (name) {
                case "limit" -> limit = limit(value);
                case "cursor" -> {
                    if (!LobbyCode.isValid(value)) {
                        throw new BadRequest("invalid_cursor", "cursor must be a next_cursor value");
                    }
                    cursor = value;
                }
                case "has_space" -> {
                    if (!"true".equals(value) && !"false".equals(value)) {
                        throw new BadRequest("invalid_filter", "has_space must be true or false");
                    }
                    hasSpace = "true".equals(value);
                }
                default -> throw new BadRequest("invalid_filter",
                        "unknown parameter " + shown(name) + ": use limit, cursor, has_space or prop.<key>");
            }
        }
        return new Listing(match, hasSpace, limit, cursor);
    }

    private static int limit(String text) throws BadRequest {
        int limit;
        try {
            limit = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new BadRequest("invalid_limit", "limit must be 1 to " + MAX_LIMIT);
        }
        return limit;
    }

    /**
     * The quick-join body: an object, maybe empty, with optional {@code properties} (an object of strings
     * of at most 64 characters, numbers and booleans, each key 1 to 64 characters) and optional
     * {@code max_members} (1 to {@code maxPerLobby}); unknown fields are ignored.
     */
    static QuickJoinBody quickJoin(JsonNode body, int maxPerLobby) throws BadRequest {
        Map<String, Set<String>> match = new LinkedHashMap<>();
        Map<String, String> tokens = new LinkedHashMap<>();
        String properties = "{}";
        JsonNode given = body.get("properties");
        if (given != null && !given.isNull()) {
            if (!given.isObject()) {
                throw new BadRequest("invalid_body", "properties must be a JSON object");
            }
            Iterator<Map.Entry<String, JsonNode>> fields = given.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                String token = PropertyMatch.token(field.getValue());
                if (token == null || field.getKey().isEmpty() || field.getKey().length() > PropertyMatch.MAX_VALUE_CHARS) {
                    throw new BadRequest("invalid_body", "quick join matches on properties: each key 1 to "
                            + PropertyMatch.MAX_VALUE_CHARS + " characters, each value a string of at most "
                            + PropertyMatch.MAX_VALUE_CHARS + " characters, a number or a boolean");
                }
                match.put(field.getKey(), Set.of(token));
                tokens.put(field.getKey(), token);
            }
            properties = given.toString();
        }
        Integer maxMembers = null;
        JsonNode max = body.get("max_members");
        if (max != null && !max.isNull()) {
            if (!max.isIntegralNumber() || !max.canConvertToInt() || max.intValue() < 1 || max.intValue() > maxPerLobby) {
                throw new BadRequest("invalid_body", "max_members must be a whole number from 1 to " + maxPerLobby);
            }
            maxMembers = max.intValue();
        }
        return new QuickJoinBody(match, properties, tokens, maxMembers);
    }

    /** A parameter name as an error message quotes it: cut short, so a huge one does not fill the answer. */
    private static String shown(String name) {
        return name.length() <= 80 ? name : name.substring(0, 80) + "…";
    }
}
