package io.pganalytics.api.auth;

import io.javalin.router.EndpointMetadata;
import java.util.Objects;

/**
 * The rule of one route: open to anyone (health, version, the OpenAPI document, registration with its secret) or
 * the least role a principal must hold. Every route is registered with one ({@code routes.RouteTable}).
 *
 * @param minimum the least role; null for an open route
 */
public record Access(Role minimum) implements EndpointMetadata {

    private static final Access OPEN = new Access(null);

    /** A route anyone may call: the request carries its own credential, or answers nothing sensitive. */
    public static Access open() {
        return OPEN;
    }

    /** A route for principals whose role {@link Role#satisfies satisfies} {@code role}. */
    public static Access atLeast(Role role) {
        return new Access(Objects.requireNonNull(role, "role"));
    }

    public boolean isOpen() {
        return minimum == null;
    }

    @Override
    public String toString() {
        return isOpen() ? "open" : "at least " + minimum.name().toLowerCase();
    }
}
