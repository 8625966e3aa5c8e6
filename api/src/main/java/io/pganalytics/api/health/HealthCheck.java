package io.pganalytics.api.health;

/**
 * A dependency the API needs, checked on every health request within a short timeout.
 */
public interface HealthCheck extends AutoCloseable {

    /** The component's name in the health response, e.g. {@code database}. */
    String name();

    /** Checks the component now; never throws. */
    ComponentHealth check();

    @Override
    default void close() {
    }
}
