package dev.lobbyhub.http;

/**
 * The Content-Security-Policy of the pages lobbyhub serves (the demo, the operator console): scripts and styles
 * from this server only, no inline script or handler, and no HTML built from strings (Trusted Types), so even a
 * mistake in a page could not run script that a player's id, name or property carried.
 */
public final class StrictPages {

    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'";

    private StrictPages() {
    }
}
