package io.pganalytics.api.auth;

import java.util.Objects;

/**
 * Who is calling, resolved per request by a {@link PrincipalResolver}: the identity issue plugs its own resolvers in
 * here without touching the routes.
 *
 * @param name   stable name, the scope of idempotency keys and the actor of every change (e.g. {@code admin}, {@code collector:c-...})
 * @param role   what it may do
 * @param method how it proved who it is (e.g. {@code admin-token}, {@code collector-token})
 */
public record Principal(String name, Role role, String method) {

    public Principal {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(method, "method");
    }
}
