package io.pganalytics.registry;

import io.pganalytics.registry.internal.Authenticator;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks HTTP basic credentials against the configured users, whose passwords are known only as salted PBKDF2
 * hashes. A header that verified once is remembered (by its SHA-256), so that a client's every request does not
 * pay for the key derivation again.
 */
final class BasicAuthenticator implements Authenticator {

    private static final int REMEMBERED_MAX = 10_000;

    private final Map<String, PasswordHash> users;
    private final Map<String, String> verified = new ConcurrentHashMap<>();

    BasicAuthenticator(Map<String, PasswordHash> users) {
        this.users = Map.copyOf(users);
    }

    @Override
    public Optional<String> authenticate(String authorizationHeader) {
        if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Basic ", 0, 6)) {
            return Optional.empty();
        }
        String token = authorizationHeader.substring(6).strip();
        String digest = PasswordHash.sha256(token);
        String known = verified.get(digest);
        if (known != null) {
            return Optional.of(known);
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return Optional.empty();
        }
        String user = decoded.substring(0, colon);
        PasswordHash hash = users.get(user);
        if (hash == null || !hash.matches(decoded.substring(colon + 1).toCharArray())) {
            return Optional.empty();
        }
        if (verified.size() >= REMEMBERED_MAX) {
            verified.clear();
        }
        verified.put(digest, user);
        return Optional.of(user);
    }
}
