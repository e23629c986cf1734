package dev.lobbyhub.admin;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.Response.Status;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import dev.lobbyhub.cluster.BackplaneUnavailableException;
import dev.lobbyhub.http.ApiError;

/**
 * Cluster mode: an admin call that needs Redis while it is unreachable answers 503
 * {@code backplane_unavailable} (SPEC §9); it did nothing, so the caller may retry. An outage is
 * the operator's news already (readiness, {@code lobbyhub_backplane_up}): one DEBUG line here.
 */
public class BackplaneFailures {

    private static final Logger LOG = Logger.getLogger(BackplaneFailures.class);

    @ServerExceptionMapper
    public Response unavailable(BackplaneUnavailableException failure) {
        LOG.debugf("admin call refused: %s", failure.getMessage());
        return ApiError.response(Status.SERVICE_UNAVAILABLE, "backplane_unavailable",
                "Redis is unreachable from this node; nothing was done, try again later");
    }
}
