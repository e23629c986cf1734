package dev.lobbyhub.health;

/** Capacity as operators read it: whole percent of {@code max-connections}, rounded down (100 only when full). */
public final class Capacity {

    private Capacity() {
    }

    public static long percent(int connections, int max) {
        return connections * 100L / max;
    }
}
