package io.pganalytics.api.routes;

import io.pganalytics.api.auth.Role;
import java.util.Comparator;
import java.util.List;

/**
 * The permission matrix of docs/security.md, rendered from the routes' own {@link io.pganalytics.api.auth.Access}
 * rules: the document cannot drift from what the router enforces (AccountsApiIT compares the two and calls every
 * route as every role).
 */
public final class PermissionMatrix {

    private PermissionMatrix() {
    }

    /** A Markdown table: one row per route (by path, then method), a column per role and one for no credential. */
    public static String markdown(List<ApiRoute> routes) {
        StringBuilder table = new StringBuilder("| route | rule |");
        StringBuilder rule = new StringBuilder("|---|---|");
        for (Role role : Role.values()) {
            table.append(' ').append(role.name().toLowerCase()).append(" |");
            rule.append(":-:|");
        }
        table.append(" no credential |\n").append(rule).append(":-:|\n");
        routes.stream().sorted(Comparator.comparing(ApiRoute::path).thenComparing(ApiRoute::method)).forEach(route -> {
            table.append("| `").append(route.websocket() != null ? "WS" : route.method()).append(' ').append(route.path())
                    .append("` | ").append(route.access()).append(" |");
            for (Role role : Role.values()) {
                table.append(route.access().allows(role) ? " ✓ |" : " – |");
            }
            table.append(route.access().isOpen() ? " ✓ |" : " – |").append('\n');
        });
        return table.toString();
    }
}
