package dev.lobbyhub.cluster;

/** Whether this node can reach the shared store now; a single node has none and is always up. */
public interface BackplaneHealth {

    boolean isUp();
}
