package io.pganalytics.api.auth;

import io.javalin.http.Context;
import java.util.Optional;
import java.util.function.Function;

/**
 * A collector agent speaking for itself with the token it was given at registration ({@code pga_c_...}): principal
 * {@code collector:<id>} with role {@code COLLECTOR}. Tokens of another shape are left to the other resolvers.
 */
public final class CollectorTokenResolver implements PrincipalResolver {

    /** The prefix of every collector token. */
    public static final String TOKEN_PREFIX = "pga_c_";
    private final Function<String, Optional<String>> collectorIdOfToken;

    /** @param collectorIdOfToken the id of the active collector a token belongs to (FleetAdmin.authenticateCollector) */
    public CollectorTokenResolver(Function<String, Optional<String>> collectorIdOfToken) {
        this.collectorIdOfToken = collectorIdOfToken;
    }

    @Override
    public Optional<Principal> resolve(Context ctx) {
        return PrincipalResolver.bearerToken(ctx)
                .filter(token -> token.startsWith(TOKEN_PREFIX))
                .flatMap(collectorIdOfToken)
                .map(id -> new Principal("collector:" + id, Role.COLLECTOR, "collector-token"));
    }
}
