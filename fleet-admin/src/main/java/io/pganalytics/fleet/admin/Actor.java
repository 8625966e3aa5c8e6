package io.pganalytics.fleet.admin;

/**
 * Who asks for a change of the fleet, in which role, and from where: what every state-changing call of
 * {@link FleetAdmin} names, so that the change log now (and the audit trail later) can say who did what.
 *
 * @param name who: a user name (the API's logged-in user, the operating-system user of the command line)
 * @param role the role the change is made in, e.g. an API role; the command line logs nobody in (whoever
 *             may write the fleet topics may change the fleet) and says {@link #CLI_ROLE}
 * @param from where from: {@code cli@<hostname>} for the command line, the remote address for the API
 */
public record Actor(String name, String role, String from) {

    /** The role of changes made with the {@code pganalytics fleet} command. */
    public static final String CLI_ROLE = "cli";

    public Actor {
        name = required("name", name);
        role = required("role", role);
        from = required("from", from);
    }

    /** The actor of the command line: the operating-system user on {@code host}. */
    public static Actor cli(String user, String host) {
        return new Actor(user, CLI_ROLE, "cli@" + host);
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
