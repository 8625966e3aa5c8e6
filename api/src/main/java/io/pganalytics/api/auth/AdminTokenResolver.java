package io.pganalytics.api.auth;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * The interim credential until the identity issue lands: one bearer token ({@code api.admin.token}) that makes the
 * caller {@code admin}. Compared in constant time (of digests, so the length leaks nothing either).
 */
public final class AdminTokenResolver implements PrincipalResolver {

    private static final Principal ADMIN = new Principal("admin", Role.ADMIN, "admin-token");
    private final byte[] expectedDigest;

    public AdminTokenResolver(String adminToken) {
        if (adminToken == null || adminToken.length() < 16) {
            throw new IllegalArgumentException("api.admin.token: expected at least 16 characters");
        }
        this.expectedDigest = sha256(adminToken);
    }

    @Override
    public Optional<Principal> resolve(Context ctx) {
        return PrincipalResolver.bearerToken(ctx)
                .filter(token -> MessageDigest.isEqual(sha256(token), expectedDigest))
                .map(token -> ADMIN);
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}
