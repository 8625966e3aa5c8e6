package io.pganalytics.api.auth;

import java.util.List;

/**
 * The API's rate limits, per minute, shared by every replica; 0 turns one off.
 *
 * @param userPerMinute       requests of one signed-in user
 * @param collectorPerMinute  requests of one collector token
 * @param loginPerIpPerMinute login attempts from one client address
 * @param trustedProxies      addresses of proxies whose {@code X-Forwarded-For} names the client (a load balancer in
 *                            front of the replicas); empty: the socket's address is the client
 */
public record RateLimitSettings(long userPerMinute, long collectorPerMinute, long loginPerIpPerMinute, List<String> trustedProxies) {

    /** 100 a minute per user, 1,000 per collector token, 30 login attempts per address, no trusted proxy. */
    public static final RateLimitSettings DEFAULT = new RateLimitSettings(100, 1000, 30, List.of());

    public RateLimitSettings {
        trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
    }
}
