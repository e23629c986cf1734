package dev.lobbyhub.admin;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Lets the users "." and ".." be addressed (SPEC §7: any token {@code sub}, percent-encoded). Vert.x and RESTEasy
 * match on the normalised path, which decodes {@code %2E} and then drops "." and ".." segments as navigation, so
 * {@code /api/v1/users/%2E%2E/ping} would arrive as {@code /api/v1/ping}. This route reads the raw path first: for
 * an id segment that is an encoded dot segment it keeps the id in the routing context and reroutes to a
 * placeholder segment, which {@link #userId} then swaps back. Other ids need no help: normalisation leaves
 * their segment alone and RESTEasy decodes it. Literal (unencoded) "." and ".." keep their meaning as navigation.
 */
@Singleton
public class DotSegmentUserIds {

    static final String PLACEHOLDER = "dot-segment-user";
    private static final String USERS = "/api/v1/users/";
    private static final String USER_ID = DotSegmentUserIds.class.getName() + ".userId";
    private static final Pattern USER_PATH = Pattern.compile("/api/v1/users/([^/]+)(|/messages|/ping|/connection)/?");
    private static final Pattern DOTS = Pattern.compile("(?i)(?:\\.|%2e){1,2}");

    void register(@Observes Router router) {
        // Ahead of RESTEasy. "/api/*" is matched on the normalised path, which keeps that prefix for every raw
        // path this route acts on: at most the "users" segment is dropped.
        router.route(AdminKeyFilter.PREFIX + "*").order(RouteConstants.ROUTE_ORDER_BEFORE_DEFAULT).handler(this::reroute);
    }

    private void reroute(RoutingContext routing) {
        Matcher user = USER_PATH.matcher(routing.request().path());
        if (!user.matches() || !isEncodedDotSegment(user.group(1))) {
            routing.next();
            return;
        }
        routing.put(USER_ID, user.group(1).replaceAll("(?i)%2e", "."));
        String query = routing.request().query();
        routing.reroute(USERS + PLACEHOLDER + user.group(2) + (query == null ? "" : "?" + query));
    }

    private static boolean isEncodedDotSegment(String segment) {
        return segment.contains("%") && DOTS.matcher(segment).matches();
    }

    /** The user a request addresses: the id kept by the reroute, else the path parameter as RESTEasy decoded it. */
    static String userId(RoutingContext routing, String pathParameter) {
        String kept = routing.get(USER_ID);
        return kept != null ? kept : pathParameter;
    }
}
