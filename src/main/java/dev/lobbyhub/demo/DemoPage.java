package dev.lobbyhub.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;

import dev.lobbyhub.config.LobbyhubConfig;

/** The demo lobby page at {@code /}, when {@code lobbyhub.demo.enabled} (dev mode turns it on). */
@Path("/")
public class DemoPage {

    private final boolean enabled;
    private volatile String html;

    DemoPage(LobbyhubConfig config) {
        this.enabled = config.demo().enabled();
    }

    @GET
    @Produces(MediaType.TEXT_HTML)
    @Operation(hidden = true)
    public Response page() {
        if (!enabled) {
            return Response.status(Response.Status.NOT_FOUND).type(MediaType.TEXT_PLAIN)
                    .entity("lobbyhub: the demo page is off (lobbyhub.demo.enabled=false)").build();
        }
        return Response.ok(html()).build();
    }

    private String html() {
        String page = html;
        if (page == null) {
            try (InputStream in = DemoPage.class.getResourceAsStream("/demo/index.html")) {
                page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            html = page;
        }
        return page;
    }
}
