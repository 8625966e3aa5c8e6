package io.pganalytics.registry.internal;

import java.util.Optional;

/** Who an HTTP request's {@code Authorization} header proves its sender to be, if anyone. */
@FunctionalInterface
public interface Authenticator {

    /** The authenticated user name, or empty when the header is missing, malformed or wrong. */
    Optional<String> authenticate(String authorizationHeader);
}
