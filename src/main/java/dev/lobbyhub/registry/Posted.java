package dev.lobbyhub.registry;

/**
 * A frame appended to a lobby's log: its {@code offset} (0 with the log off) and how many of this
 * node's members it is being handed to.
 */
public record Posted(long offset, int delivered) {

    /** Nothing appended: nobody of the lobby is on this node. */
    public static final Posted NOWHERE = new Posted(0, 0);
}
