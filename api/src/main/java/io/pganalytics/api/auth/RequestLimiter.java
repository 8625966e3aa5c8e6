package io.pganalytics.api.auth;

import io.javalin.http.Context;
import io.pganalytics.api.http.ApiException;
import io.pganalytics.fleet.admin.RateLimits;

/**
 * Spends a request of the caller's bucket (per user, per collector token, per address on the login route) and says
 * so in {@code RateLimit-Limit}, {@code RateLimit-Remaining} and {@code RateLimit-Reset} (IETF draft
 * "RateLimit header fields"); over the limit: {@code 429 rate_limited} with {@code Retry-After}. The interim admin
 * token, an operator's own automation credential, is not limited.
 */
public final class RequestLimiter {

    private final RateLimits buckets;
    private final RateLimitSettings settings;

    public RequestLimiter(RateLimits buckets, RateLimitSettings settings) {
        this.buckets = buckets;
        this.settings = settings;
    }

    /** Charges a guarded route's request to its principal. */
    public void charge(Principal principal, Context ctx) {
        if (principal.method().equals("admin-token")) {
            return;
        }
        boolean collector = principal.role() == Role.COLLECTOR;
        long perMinute = collector ? settings.collectorPerMinute() : settings.userPerMinute();
        charge((collector ? "collector:" : "user:") + principal.name(), perMinute, ctx, "requests of " + principal.name());
    }

    /** Charges a login attempt to the client's address. */
    public void chargeLogin(Context ctx) {
        charge("login-ip:" + ctx.ip(), settings.loginPerIpPerMinute(), ctx, "login attempts from " + ctx.ip());
    }

    private void charge(String key, long perMinute, Context ctx, String what) {
        if (perMinute <= 0) {
            return;
        }
        RateLimits.Decision decision = buckets.consume(key, perMinute);
        ctx.header("RateLimit-Limit", Long.toString(decision.limit()));
        ctx.header("RateLimit-Remaining", Long.toString(decision.remaining()));
        ctx.header("RateLimit-Reset", Long.toString(decision.resetSeconds()));
        if (!decision.allowed()) {
            ctx.header("Retry-After", Long.toString(decision.retryAfterSeconds()));
            throw new ApiException(429, "rate_limited", "more than " + perMinute + " " + what + " a minute; retry in "
                    + decision.retryAfterSeconds() + " s");
        }
    }

    /** The client's address: the socket's, or behind a trusted proxy the last untrusted one of {@code X-Forwarded-For}. */
    public static String clientAddress(String remote, String forwardedFor, java.util.List<String> trustedProxies) {
        if (forwardedFor == null || !trustedProxies.contains(remote)) {
            return remote;
        }
        String[] hops = forwardedFor.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].strip();
            if (!hop.isEmpty() && !trustedProxies.contains(hop)) {
                return hop;
            }
        }
        return remote;
    }
}
