package io.pganalytics.platform.role;

/**
 * A configuration not yet declared as {@link io.pganalytics.config.Fields} cannot be used (stream-processors:
 * migrated separately); the message starts with the key. Everything else reports an
 * {@link io.pganalytics.config.InvalidValue}; the command line renders both as one line with exit code 2. Goes
 * when the stream processors' configuration moves to {@code Fields}.
 */
public final class InvalidConfiguration extends RuntimeException {

    private static final long serialVersionUID = 1L;

    InvalidConfiguration(String message, Throwable cause) {
        super(message, cause);
    }
}
