package dev.lobbyhub.http;

import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.lobbyhub.logging.LogText;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;

/**
 * Answers every request that failed in the HTTP layer (a missing {@code Host}, a bad path, an
 * exception no resource handled) before the framework's own error handler can: the body is the
 * admin API's {@code {"error", "message"}} shape, and the log line names the method and the path,
 * never the query string (a {@code /ws/} request carries its token there) nor any header. A client's
 * mistake (4xx) is one DEBUG line; only a server fault (5xx) is an ERROR with its stack trace.
 */
public class HttpFailures {

    private static final Logger LOG = Logger.getLogger(HttpFailures.class);

    void register(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).failureHandler(HttpFailures::handle);
    }

    static void handle(RoutingContext context) {
        Throwable failure = context.failure();
        int status = status(context);
        String method = String.valueOf(context.request().method());
        String path = LogText.escape(context.request().path());
        if (status >= 500) {
            LOG.errorf(failure, "HTTP %d for %s %s", status, method, path);
        } else {
            LOG.debugf("HTTP %d for %s %s: %s", status, method, path, failure == null ? "-" : failure.getClass().getName());
        }
        HttpServerResponse response = context.response();
        if (response.ended() || response.closed()) {
            return;
        }
        if (response.headWritten()) {
            response.end();
            return;
        }
        response.setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", code(status)).put("message", message(status)).encode());
    }

    private static int status(RoutingContext context) {
        if (context.statusCode() > 0) {
            return context.statusCode();
        }
        return context.failure() instanceof HttpException http ? http.getStatusCode() : 500;
    }

    /** The error code for a status, in the words of the admin API. */
    static String code(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> "body_too_large";
            case 414 -> "uri_too_long";
            case 415 -> "unsupported_media_type";
            case 431 -> "headers_too_large";
            default -> status >= 500 ? "internal_error" : "http_" + status;
        };
    }

    private static String message(int status) {
        return switch (status) {
            case 400 -> "the request is malformed (a missing Host header, a bad path or bad encoding)";
            case 404 -> "nothing is served at this path";
            case 405 -> "this path does not take this method";
            default -> status >= 500 ? "unexpected server fault; the server log has the details" : "request refused";
        };
    }
}
