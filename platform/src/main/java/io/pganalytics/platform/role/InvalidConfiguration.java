package io.pganalytics.platform.role;

/**
 * A role's configuration cannot be used; the message starts with the key (or flag) to fix, and the
 * command line reports it as one line with exit code 2.
 */
public final class InvalidConfiguration extends RuntimeException {

    private static final long serialVersionUID = 1L;

    InvalidConfiguration(String message, Throwable cause) {
        super(message, cause);
    }
}
