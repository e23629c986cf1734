package dev.lobbyhub.protocol;

/** The rule for lobby codes: 1 to 64 characters of {@code A-Z a-z 0-9 _ -}. */
public final class LobbyCode {

    public static final int MAX_LENGTH = 64;

    private LobbyCode() {
    }

    public static boolean isValid(String code) {
        if (code == null || code.isEmpty() || code.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < code.length(); i++) {
            char c = code.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
                    || c == '-';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }
}
