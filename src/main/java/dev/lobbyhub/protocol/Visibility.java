package dev.lobbyhub.protocol;

/** Who may find a lobby in the directory (SPEC §12, §13): {@code public} or {@code private}, the default. */
public final class Visibility {

    public static final String PUBLIC = "public";
    public static final String PRIVATE = "private";

    private Visibility() {
    }

    public static boolean isOne(String word) {
        return PUBLIC.equals(word) || PRIVATE.equals(word);
    }
}
