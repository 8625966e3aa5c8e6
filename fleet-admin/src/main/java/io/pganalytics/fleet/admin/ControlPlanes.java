package io.pganalytics.fleet.admin;

/** Opens the control plane and migrates its database. */
public final class ControlPlanes {

    private ControlPlanes() {
    }

    /**
     * The control plane over its database, every change logged with its actor; when {@code config.publisher()},
     * this process also takes its turn publishing the projection to Kafka.
     *
     * @param clientId the Kafka client id, so that brokers can tell the API from the command line
     */
    public static ControlPlane open(ControlPlaneConfig config, String clientId) {
        return new ControlPlaneChangeLog(new DatabaseControlPlane(config, clientId));
    }

    /**
     * Only the accounts of the control plane, every change logged with its actor: what {@code pganalytics users} opens,
     * no Kafka needed. Close it to release its connections.
     */
    public static Accounts openAccounts(ControlPlaneConfig config) {
        ControlDatabase db = new ControlDatabase(config, "pga-accounts");
        return new AccountsChangeLog(new DatabaseAccounts(db, new PasswordHasher(config.passwordHashing()), config.secrets(), true, null));
    }

    /** Only the audit trail of the control plane: what the audit role and {@code pganalytics audit verify} open. */
    public static AuditTrail openAuditTrail(ControlPlaneConfig config) {
        return new DatabaseAuditTrail(new ControlDatabase(config, "pga-audit"), true);
    }

    /** Applies the control plane's Flyway migrations ({@code classpath:db/control}); returns how many ran. */
    public static int migrate(ControlPlaneConfig config) {
        return ControlDatabase.migrate(config);
    }
}
