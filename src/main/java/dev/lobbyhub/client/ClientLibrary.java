package dev.lobbyhub.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

import jakarta.enterprise.event.Observes;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Serves the browser client ({@code /lobbyhub-client.js}) and its declarations ({@code /lobbyhub-client.d.ts})
 * so that a game on any origin can import them (SPEC §1): {@code Access-Control-Allow-Origin: *}, a fitting
 * content type, and caching that picks up a new release at once: every load revalidates ({@code no-cache}) and
 * an unchanged file costs a 304, its ETag being a digest of its content.
 */
public class ClientLibrary {

    /** Where a browser imports the client from. */
    public static final String SCRIPT_PATH = "/lobbyhub-client.js";
    /** Where tools find its TypeScript declarations. */
    public static final String TYPES_PATH = "/lobbyhub-client.d.ts";

    record Asset(String path, String contentType, Buffer body, String etag) {

        static Asset load(String path, String contentType) {
            try (InputStream in = ClientLibrary.class.getResourceAsStream("/client" + path)) {
                if (in == null) {
                    throw new IllegalStateException("missing resource /client" + path);
                }
                byte[] bytes = in.readAllBytes();
                String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 16);
                return new Asset(path, contentType, Buffer.buffer(bytes), "\"" + digest + "\"");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private final List<Asset> assets = List.of(
            Asset.load(SCRIPT_PATH, "text/javascript; charset=utf-8"),
            Asset.load(TYPES_PATH, "application/typescript; charset=utf-8"));

    void routes(@Observes Router router) {
        for (Asset asset : assets) {
            router.route(asset.path()).method(HttpMethod.GET).method(HttpMethod.HEAD).order(-100)
                    .handler(routing -> serve(routing, asset));
        }
    }

    private static void serve(RoutingContext routing, Asset asset) {
        var response = routing.response()
                .putHeader("Access-Control-Allow-Origin", "*")
                // A game that isolates itself (Cross-Origin-Embedder-Policy: require-corp) may still load it.
                .putHeader("Cross-Origin-Resource-Policy", "cross-origin")
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Cache-Control", "no-cache")
                .putHeader("ETag", asset.etag());
        if (asset.path().equals(SCRIPT_PATH)) {
            // Deno and other tools that import by URL find the declarations through this header.
            response.putHeader("X-TypeScript-Types", TYPES_PATH);
        }
        if (matches(routing.request().getHeader("If-None-Match"), asset.etag())) {
            response.setStatusCode(304).end();
            return;
        }
        response.putHeader("Content-Type", asset.contentType());
        if (routing.request().method() == HttpMethod.HEAD) {
            response.putHeader("Content-Length", String.valueOf(asset.body().length())).end();
            return;
        }
        response.end(asset.body());
    }

    private static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String candidate : ifNoneMatch.split(",")) {
            String tag = candidate.trim();
            if (tag.startsWith("W/")) {
                tag = tag.substring(2);
            }
            if (tag.equals(etag) || tag.equals("*")) {
                return true;
            }
        }
        return false;
    }
}
