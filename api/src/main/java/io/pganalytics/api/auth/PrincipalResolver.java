package io.pganalytics.api.auth;

import io.javalin.http.Context;
import java.util.Optional;

/** Finds who is calling from a request's credentials; empty when the request carries none this resolver knows. */
@FunctionalInterface
public interface PrincipalResolver {

    Optional<Principal> resolve(Context ctx);

    /** The bearer token of the {@code Authorization} header, if there is one. */
    static Optional<String> bearerToken(Context ctx) {
        String header = ctx.header("Authorization");
        if (header == null || header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        String token = header.substring(7).trim();
        return token.isEmpty() ? Optional.empty() : Optional.of(token);
    }
}
