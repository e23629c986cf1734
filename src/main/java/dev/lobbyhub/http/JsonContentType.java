package dev.lobbyhub.http;

import java.util.Map;

import jakarta.ws.rs.core.MediaType;

/** Which request bodies count as JSON, for the admin API and the player-facing directory alike. */
public final class JsonContentType {

    private JsonContentType() {
    }

    /** {@code application/json}, any case, with no parameter but {@code charset=utf-8}: JSON is UTF-8 (RFC 8259). */
    public static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        MediaType type;
        try {
            type = MediaType.valueOf(contentType);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (!"application".equalsIgnoreCase(type.getType()) || !"json".equalsIgnoreCase(type.getSubtype())) {
            return false;
        }
        for (Map.Entry<String, String> parameter : type.getParameters().entrySet()) {
            String value = parameter.getValue().replace("\"", "");
            if (!"charset".equalsIgnoreCase(parameter.getKey()) || !"utf-8".equalsIgnoreCase(value)) {
                return false;
            }
        }
        return true;
    }
}
