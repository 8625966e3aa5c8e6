package io.pganalytics.api.health;

/**
 * The state of one dependency as the health endpoint reports it.
 *
 * @param status {@code UP} or {@code DOWN}
 * @param detail what was checked or why it failed; never a secret
 */
public record ComponentHealth(String status, String detail) {

    public static ComponentHealth up(String detail) {
        return new ComponentHealth("UP", detail);
    }

    public static ComponentHealth down(String detail) {
        return new ComponentHealth("DOWN", detail);
    }

    public boolean isUp() {
        return "UP".equals(status);
    }
}
