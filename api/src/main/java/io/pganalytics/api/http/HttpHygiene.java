package io.pganalytics.api.http;

import io.javalin.http.Context;
import java.util.Locale;
import java.util.Set;

/**
 * What every answer and request goes through before its route: security headers, the CORS allowlist (no CORS at
 * all when it is empty) and the content-type check of bodies (JSON only, else 415).
 */
public final class HttpHygiene {

    /** The largest refused body that is still read (and dropped) so that its 413 reaches the client. */
    static final long DRAIN_LIMIT_BYTES = 8L * 1024 * 1024;

    private final Set<String> allowedOrigins;

    /** @param allowedOrigins origins allowed to call from a browser, exactly as they appear in {@code Origin} */
    public HttpHygiene(Set<String> allowedOrigins) {
        this(allowedOrigins, false);
    }

    /** @param hsts whether the listener is HTTPS: then browsers are told to use nothing else for a year */
    public HttpHygiene(Set<String> allowedOrigins, boolean hsts) {
        this.allowedOrigins = Set.copyOf(allowedOrigins);
        this.hsts = hsts;
    }

    private final boolean hsts;

    /** Sets the security headers of every answer. */
    public void headers(Context ctx) {
        if (hsts) {
            ctx.header("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
        }
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
        ctx.header("Cache-Control", "no-store");
        String origin = ctx.header("Origin");
        if (origin != null && allowedOrigins.contains(origin)) {
            ctx.header("Access-Control-Allow-Origin", origin);
            ctx.header("Vary", "Origin");
            ctx.header("Access-Control-Expose-Headers", "Location, Idempotency-Replayed");
        }
    }

    /** Answers a CORS preflight of an allowed origin; true when it did (the request ends there). */
    public boolean preflight(Context ctx) {
        String origin = ctx.header("Origin");
        if (!"OPTIONS".equals(ctx.method().name()) || origin == null
                || ctx.header("Access-Control-Request-Method") == null) {
            return false;
        }
        if (allowedOrigins.contains(origin)) {
            ctx.header("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE");
            ctx.header("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key");
            ctx.header("Access-Control-Max-Age", "600");
            ctx.status(204);
        } else {
            ctx.status(403);
        }
        return true;
    }

    /** The SAML assertion consumer service, which takes the HTTP-POST binding's form. */
    public static final String SAML_ACS_PATH = "/api/v1/auth/saml/acs";

    /** Refuses a body that is not JSON (415); a request without a body passes. */
    public void contentType(Context ctx) {
        String method = ctx.method().name();
        if (!(method.equals("POST") || method.equals("PUT") || method.equals("PATCH"))) {
            return;
        }
        long length = ctx.contentLength();
        String chunked = ctx.header("Transfer-Encoding");
        if (length <= 0 && chunked == null) {
            return;
        }
        String type = ctx.contentType();
        String bare = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        // SAML's HTTP-POST binding is a browser form: its assertion consumer service is the one route that takes one.
        if (bare.equals("application/x-www-form-urlencoded") && ctx.path().equals(SAML_ACS_PATH)) {
            return;
        }
        if (!bare.equals("application/json")) {
            throw new ApiException(415, "unsupported_media_type",
                    "expected Content-Type: application/json, got " + (type == null ? "none" : type));
        }
    }

    /** Refuses a body longer than {@code maxBytes} (413) before it is read. */
    public static void bodyLimit(Context ctx, long maxBytes) {
        if (ctx.contentLength() > maxBytes) {
            // Read and drop a body of reasonable size, so that a client still sending it gets the 413 rather
            // than a broken connection; a larger one is cut off with the connection.
            // and end the connection: the client must not reuse one whose body the server may not have read whole
            ctx.header("Connection", "close");
            if (ctx.contentLength() <= DRAIN_LIMIT_BYTES) {
                try (java.io.InputStream body = ctx.req().getInputStream()) {
                    body.transferTo(java.io.OutputStream.nullOutputStream());
                } catch (java.io.IOException e) {
                    // the client went away: nothing to answer
                }
            }
            throw new ApiException(413, "payload_too_large",
                    "the body is " + ctx.contentLength() + " bytes; at most " + maxBytes + " are accepted");
        }
    }
}
