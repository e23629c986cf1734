package dev.lobbyhub.demo;

import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.lobbyhub.config.LobbyhubConfig;
import dev.lobbyhub.http.StaticFiles;
import dev.lobbyhub.http.StrictPages;

/**
 * The demo lobby page at {@code /}, with its script and style under {@code /demo/}, when
 * {@code lobbyhub.demo.enabled} (dev mode turns it on). The page is served with a Content-Security-Policy that
 * runs only this server's scripts and refuses HTML built from strings (Trusted Types), so even a mistake in the
 * page could not run script another player sent.
 */
@Path("/")
public class DemoPage {

    private static final Map<String, String> ASSETS = Map.of(
            "app.js", "text/javascript; charset=utf-8",
            "app.css", "text/css; charset=utf-8");

    private final boolean enabled;
    private final StaticFiles files = new StaticFiles("/demo/");

    DemoPage(LobbyhubConfig config) {
        this.enabled = config.demo().enabled();
    }

    @GET
    public Response page() {
        if (!enabled) {
            return off();
        }
        return Response.ok(files.load("index.html"), "text/html; charset=utf-8")
                .header("Content-Security-Policy", StrictPages.CONTENT_SECURITY_POLICY)
                .header("X-Content-Type-Options", "nosniff")
                .header("Referrer-Policy", "no-referrer") // the address may hold a token
                .build();
    }

    @GET
    @Path("/demo/{file}")
    public Response asset(@PathParam("file") String file) {
        String type = ASSETS.get(file);
        if (!enabled || type == null) {
            return off();
        }
        return Response.ok(files.load(file), type).header("X-Content-Type-Options", "nosniff").build();
    }

    private static Response off() {
        return Response.status(Response.Status.NOT_FOUND).type(MediaType.TEXT_PLAIN)
                .entity("lobbyhub: the demo page is off (lobbyhub.demo.enabled=false)").build();
    }
}
