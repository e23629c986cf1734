package dev.lobbyhub.logging;

/**
 * Client-chosen text (user ids, lobby codes, names) made safe for one log line: control characters
 * (C0, DEL, C1, and the Unicode line and paragraph separators) are written as {@code \n},
 * {@code \r}, {@code \t} or {@code \}{@code uXXXX}, and the backslash as {@code \\}, so a value can
 * neither start a forged line nor drive a terminal, and the original stays readable.
 */
public final class LogText {

    private LogText() {
    }

    /** The value with control characters escaped; null stays null. */
    public static String escape(String value) {
        if (value == null) {
            return null;
        }
        int first = firstUnsafe(value);
        if (first < 0) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length() + 16).append(value, 0, first);
        for (int i = first; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (isControl(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    private static int firstUnsafe(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' || isControl(c)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
    }
}
