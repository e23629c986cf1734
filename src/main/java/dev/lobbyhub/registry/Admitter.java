package dev.lobbyhub.registry;

import dev.lobbyhub.auth.Identity;
import io.smallrye.mutiny.Uni;

/**
 * How a connection that passed the handshake checks gets its seat: decided on the spot by this
 * node's registry on a single node, through the shared seat store in cluster mode. On admission
 * the newcomer has had its {@code welcome}; the answer never fails (a store that cannot answer is
 * a refusal with 1013). {@code resume} is where a client coming back left its lobby's log, or null
 * when it did not ask to recover.
 */
public interface Admitter {

    Uni<Admission> admit(Identity identity, String lobby, String connectionId, Transport transport, Resume resume);
}
