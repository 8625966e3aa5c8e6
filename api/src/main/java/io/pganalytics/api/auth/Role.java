package io.pganalytics.api.auth;

/**
 * What a principal may do. {@code ADMIN > USER > VIEWER} is one ladder (each may do what the lower ones may);
 * {@code AUDITOR} (reads the audit trail) and {@code COLLECTOR} (an agent speaking for itself) stand apart, and only
 * an admin also holds the auditor's rights.
 */
public enum Role {
    ADMIN, USER, VIEWER, AUDITOR, COLLECTOR;

    /** Whether a principal with this role may call a route that needs {@code required}. */
    public boolean satisfies(Role required) {
        if (this == required) {
            return true;
        }
        return switch (required) {
            case VIEWER -> this == USER || this == ADMIN;
            case USER, AUDITOR -> this == ADMIN;
            case ADMIN, COLLECTOR -> false;
        };
    }
}
