package dev.lobbyhub.protocol;

/**
 * A JSON value as the client wrote it: {@code source} from {@code start} to {@code end}. Already checked
 * by the strict parser, so it is relayed as it is, without being built into a tree and written again.
 */
public record RawJson(String source, int start, int end) {

    /** The value's text. */
    public String text() {
        return source.substring(start, end);
    }

    public int length() {
        return end - start;
    }
}
