package dev.lobbyhub.protocol;

/** Byte counts of text as UTF-8, without encoding it. */
public final class Utf8 {

    private Utf8() {
    }

    /**
     * How many bytes {@code text} takes in UTF-8: one per ASCII character, two up to U+07FF, three for
     * the rest of the BMP and four per surrogate pair (a lone surrogate, which the socket writes as one
     * replacement byte, counts two: an upper bound is good enough for a limit).
     */
    public static int length(String text) {
        int length = text.length();
        int bytes = length;
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                bytes += c < 0x800 ? 1 : Character.isSurrogate(c) ? 1 : 2;
            }
        }
        return bytes;
    }
}
