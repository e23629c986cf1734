package dev.lobbyhub.protocol;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * How the lobby directory and quick join match lobby properties (SPEC §13): a lobby's top-level
 * string, number and boolean properties become tokens ({@code s:duel}, {@code n:3}, {@code b:true});
 * a filter names, per key, the tokens it accepts. Tokens are compared as text, so both seat stores
 * (in memory and in Redis) match alike; numbers are written in one canonical form ({@code 3.0} is
 * {@code n:3}). Values longer than {@link #MAX_VALUE_CHARS} are never matched.
 */
public final class PropertyMatch {

    /** The longest string value (or filter value) used for matching. */
    public static final int MAX_VALUE_CHARS = 64;

    private PropertyMatch() {
    }

    /**
     * The matchable tokens of a lobby's properties (compact JSON object text), key to token; nested
     * objects, arrays, nulls and long strings are left out.
     */
    public static Map<String, String> tokens(String propertiesJson) {
        if (propertiesJson == null || LobbyState.NO_PROPERTIES.equals(propertiesJson)) {
            return Map.of();
        }
        JsonNode object;
        try {
            object = StrictJson.read(propertiesJson);
        } catch (IOException e) {
            return Map.of();
        }
        Map<String, String> tokens = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String token = token(field.getValue());
            if (token != null && field.getKey().length() <= MAX_VALUE_CHARS) {
                tokens.put(field.getKey(), token);
            }
        }
        return tokens.isEmpty() ? Map.of() : Collections.unmodifiableMap(tokens);
    }

    /** The token of one JSON value, or null when it is not a matchable scalar. */
    public static String token(JsonNode value) {
        if (value.isTextual()) {
            return value.textValue().length() <= MAX_VALUE_CHARS ? "s:" + value.textValue() : null;
        }
        if (value.isBoolean()) {
            return "b:" + value.booleanValue();
        }
        if (value.isNumber()) {
            String number = canonical(value.decimalValue());
            return number.length() <= MAX_VALUE_CHARS ? "n:" + number : null;
        }
        return null;
    }

    /**
     * The tokens a filter value from a query string accepts: the string itself, and the number or
     * boolean it spells ({@code prop.level=3} matches {@code "3"} and {@code 3}).
     */
    public static Set<String> accepted(String filterValue) {
        Set<String> accepted = new LinkedHashSet<>(3);
        accepted.add("s:" + filterValue);
        if ("true".equals(filterValue) || "false".equals(filterValue)) {
            accepted.add("b:" + filterValue);
        }
        if (!filterValue.isEmpty() && filterValue.length() <= MAX_VALUE_CHARS && looksNumeric(filterValue)) {
            try {
                accepted.add("n:" + canonical(new BigDecimal(filterValue)));
            } catch (NumberFormatException notANumber) {
                // only the string then
            }
        }
        return accepted;
    }

    /** Whether a lobby with these tokens holds, for every key of {@code match}, one of the accepted tokens. */
    public static boolean matches(Map<String, String> lobbyTokens, Map<String, Set<String>> match) {
        for (Map.Entry<String, Set<String>> wanted : match.entrySet()) {
            String token = lobbyTokens.get(wanted.getKey());
            if (token == null || !wanted.getValue().contains(token)) {
                return false;
            }
        }
        return true;
    }

    private static boolean looksNumeric(String text) {
        char first = text.charAt(0);
        return first == '-' || (first >= '0' && first <= '9');
    }

    private static String canonical(BigDecimal number) {
        BigDecimal stripped = number.stripTrailingZeros();
        return stripped.signum() == 0 ? "0" : stripped.toPlainString();
    }
}
