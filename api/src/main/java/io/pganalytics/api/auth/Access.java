package io.pganalytics.api.auth;

import io.javalin.router.EndpointMetadata;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The rule of one route: open to anyone (health, version, the OpenAPI document, login, registration with its
 * secret), the least role a principal must hold, or any signed-in person. Every route is registered with one
 * ({@code routes.RouteTable}); the permission matrix of docs/security.md is rendered from them.
 *
 * @param roles       the roles allowed; empty for an open route
 * @param description how the rule reads in the OpenAPI document and the matrix
 */
public record Access(Set<Role> roles, String description) implements EndpointMetadata {

    private static final Access OPEN = new Access(Set.of(), "open");
    private static final Access SIGNED_IN = new Access(EnumSet.of(Role.ADMIN, Role.USER, Role.VIEWER, Role.AUDITOR), "signed in");

    public Access {
        roles = Set.copyOf(roles);
        Objects.requireNonNull(description, "description");
    }

    /** A route anyone may call: the request carries its own credential, or answers nothing sensitive. */
    public static Access open() {
        return OPEN;
    }

    /** A route for principals whose role {@link Role#satisfies satisfies} {@code role}. */
    public static Access atLeast(Role role) {
        Objects.requireNonNull(role, "role");
        Set<Role> allowed = Arrays.stream(Role.values()).filter(r -> r.satisfies(role)).collect(Collectors.toCollection(
                () -> EnumSet.noneOf(Role.class)));
        return new Access(allowed, "at least " + role.name().toLowerCase());
    }

    /** A route for any person signed in, whatever their role (their own session and password); never a collector. */
    public static Access signedIn() {
        return SIGNED_IN;
    }

    public boolean isOpen() {
        return roles.isEmpty();
    }

    /** Whether a principal with {@code role} may call the route. */
    public boolean allows(Role role) {
        return isOpen() || roles.contains(role);
    }

    @Override
    public String toString() {
        return description;
    }
}
