package dev.lobbyhub.console;

import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;

import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.http.ApiError;
import dev.lobbyhub.http.StaticFiles;
import dev.lobbyhub.http.StrictPages;

/**
 * The operator console at {@code /console/}, with its script and style beside it, served only when
 * {@code lobbyhub.api.key} is set (404 otherwise). It is a static page: it asks the operator for the admin key and
 * calls the admin API of this origin with it. Like the demo page it runs only this server's scripts and refuses
 * HTML built from strings (Trusted Types), so a user id, a display name or a lobby property can never run as script.
 */
@Path("/console")
public class ConsolePage {

    private static final Map<String, String> ASSETS = Map.of(
            "console.js", "text/javascript; charset=utf-8",
            "console.css", "text/css; charset=utf-8");

    private final boolean enabled;
    private final StaticFiles files = new StaticFiles("/console/");

    ConsolePage(LobbyhubConfig config) {
        this.enabled = config.api().key().filter(key -> !key.isBlank()).isPresent();
    }

    @GET
    public Response page() {
        if (!enabled) {
            return off();
        }
        return Response.ok(files.load("index.html"), "text/html; charset=utf-8")
                .header("Content-Security-Policy", StrictPages.CONTENT_SECURITY_POLICY)
                .header("X-Content-Type-Options", "nosniff")
                .header("Referrer-Policy", "no-referrer")
                .header("Cache-Control", "no-store")
                .build();
    }

    @GET
    @Path("/{file}")
    public Response asset(@PathParam("file") String file) {
        String type = ASSETS.get(file);
        if (!enabled) {
            return off();
        }
        if (type == null) {
            return ApiError.response(Response.Status.NOT_FOUND, "not_found", "the console has no such file");
        }
        return Response.ok(files.load(file), type)
                .header("X-Content-Type-Options", "nosniff")
                .header("Cache-Control", "no-cache")
                .build();
    }

    private static Response off() {
        return ApiError.response(Response.Status.NOT_FOUND, "not_found",
                "the console is off: it is served only when lobbyhub.api.key is set");
    }
}
