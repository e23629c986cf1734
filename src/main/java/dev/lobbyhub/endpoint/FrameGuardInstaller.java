package dev.lobbyhub.endpoint;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.lobbyhub.config.LobbyhubConfig;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.UserData.TypedKey;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Puts a {@link FrameGuard} into every connection before it is upgraded, so that no frame reaches
 * Vert.x unchecked, and leaves it in the connection's user data for {@code @OnOpen}; and a
 * {@link CloseFrameGate} in front of it, so that the guard's close and Vert.x's cannot both go out.
 * Never refuses an upgrade: rejections happen after it, where a browser can read their code.
 */
@ApplicationScoped
public class FrameGuardInstaller implements HttpUpgradeCheck {

    static final TypedKey<FrameGuard> GUARD = new TypedKey<>("lobbyhub.frame-guard");
    private static final Logger LOG = Logger.getLogger(FrameGuardInstaller.class);
    private static final Uni<CheckResult> PERMIT = CheckResult.permitUpgrade();

    private final long maxMessageBytes;

    FrameGuardInstaller(LobbyhubConfig config) {
        this.maxMessageBytes = config.limits().maxMessageBytes();
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        HttpConnection connection = context.httpRequest().connection();
        if (connection instanceof ConnectionBase base) {
            CloseFrameGate.install(base.channel().pipeline());
            context.userData().put(GUARD, FrameGuard.install(base.channel().pipeline(), maxMessageBytes));
        } else {
            LOG.debugf("no frame guard for %s", connection == null ? null : connection.getClass().getName());
        }
        return PERMIT;
    }
}
