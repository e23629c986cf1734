package dev.lobbyhub.admin;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;

import dev.lobbyhub.http.ApiError;
import dev.lobbyhub.protocol.Utf8;
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
    private static final String NOT_UTF8 = DotSegmentUserIds.class.getName() + ".notUtf8";
    private static final Pattern USER_PATH = Pattern.compile("/api/v1/users/([^/]+)(|/messages|/ping|/connection)/?");
    private static final Pattern DOTS = Pattern.compile("(?i)(?:\\.|%2e){1,2}");

    void register(@Observes Router router) {
        // Ahead of RESTEasy. "/api/*" is matched on the normalised path, which keeps that prefix for every raw
        // path this route acts on: at most the "users" segment is dropped.
        router.route(AdminKeyFilter.PREFIX + "*").order(RouteConstants.ROUTE_ORDER_BEFORE_DEFAULT).handler(this::reroute);
    }

    private void reroute(RoutingContext routing) {
        Matcher user = USER_PATH.matcher(routing.request().path());
        if (user.matches() && !isUtf8(user.group(1))) {
            routing.put(NOT_UTF8, Boolean.TRUE);
        }
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

    /**
     * Whether the percent-encoded bytes of a raw path segment are UTF-8. RESTEasy decodes bytes that are not (such as
     * {@code %ED%A0%80}, a lone surrogate, which no token's sub can be) into U+FFFD, which would address the user
     * whose id is that well-formed character instead of nobody.
     */
    static boolean isUtf8(String rawSegment) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(rawSegment.length());
        for (int i = 0; i < rawSegment.length(); i++) {
            char c = rawSegment.charAt(i);
            int high = c == '%' && i + 2 < rawSegment.length() ? Character.digit(rawSegment.charAt(i + 1), 16) : -1;
            int low = high < 0 ? -1 : Character.digit(rawSegment.charAt(i + 2), 16);
            if (low >= 0) {
                bytes.write(high << 4 | low);
                i += 2;
            } else {
                byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
            }
        }
        return Utf8.isValid(bytes.toByteArray());
    }

    /**
     * The user a request addresses: the id kept by the reroute, else the path parameter as RESTEasy decoded it. A
     * segment whose percent-encoding is not UTF-8 answers 400 {@code invalid_user_id}: it names no user.
     */
    static String userId(RoutingContext routing, String pathParameter) {
        if (routing.get(NOT_UTF8) != null) {
            throw new WebApplicationException(ApiError.response(Response.Status.BAD_REQUEST, "invalid_user_id",
                    "the user id in the path is not percent-encoded UTF-8"));
        }
        String kept = routing.get(USER_ID);
        return kept != null ? kept : pathParameter;
    }
}
