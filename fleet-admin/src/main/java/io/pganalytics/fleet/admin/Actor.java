package io.pganalytics.fleet.admin;

/**
 * Who asks for a change of the fleet, in which role, and from where: what every state-changing call of
 * {@link FleetAdmin} names, so that the change log now (and the audit trail later) can say who did what.
 *
 * @param name who: a user name (the API's logged-in user, the operating-system user of the command line)
 * @param role the role the change is made in, e.g. an API role; the command line logs nobody in (whoever
 *             may write the fleet topics may change the fleet) and says {@link #CLI_ROLE}
 * @param from where from: {@code cli@<hostname>} for the command line, the remote address for the API
 * @param method how the actor proved who they are ({@code password}, {@code ldap}, {@code oidc}, {@code admin-token},
 *               {@code cli}, ...); null when nobody asked
 * @param userAgent the HTTP client's {@code User-Agent}, for the audit trail; null outside the API
 * @param requestId the API request's id ({@code X-Request-Id}), for the audit trail; null outside the API
 */
public record Actor(String name, String role, String from, String method, String userAgent, String requestId) {

    /** The role of changes made with the {@code pganalytics fleet} command. */
    public static final String CLI_ROLE = "cli";

    /** pgAnalytics itself: acknowledgements, purges, directory sync. */
    public static final Actor SYSTEM = new Actor("system", "system", "pganalytics", "internal", null, null);

    public Actor {
        name = required("name", name);
        role = required("role", role);
        from = required("from", from);
    }

    /** An actor without the request's details. */
    public Actor(String name, String role, String from) {
        this(name, role, from, null, null, null);
    }

    /** The actor of the command line: the operating-system user on {@code host}. */
    public static Actor cli(String user, String host) {
        return new Actor(user, CLI_ROLE, "cli@" + host, "cli", null, null);
    }

    /** For people, in logs and in {@code FleetCommand.issuedBy}: {@code alice (role cli, from cli@web1)}. */
    @Override
    public String toString() {
        return name + " (role " + role + ", from " + from + ")";
    }

    private static String required(String what, String value) {
        if (value == null || value.isBlank()) {
            // A programming error of the face that builds the actor, not a user's mistake.
            throw new IllegalArgumentException("an actor needs a " + what);
        }
        return value.strip();
    }
}
