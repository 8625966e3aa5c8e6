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

    /** Applies the control plane's Flyway migrations ({@code classpath:db/control}); returns how many ran. */
    public static int migrate(ControlPlaneConfig config) {
        return ControlDatabase.migrate(config);
    }
}
