package io.pganalytics.api.auth;

import java.time.Duration;
import java.util.Objects;

/**
 * What the API's access tokens say and how long they live.
 *
 * @param issuer    {@code iss} of every token, required back
 * @param audience  {@code aud} of every token, required back
 * @param accessTtl how long an access token is accepted; at most an hour (revocations are kept that long)
 */
public record TokenSettings(String issuer, String audience, Duration accessTtl) {

    /** Issuer {@code pganalytics}, audience {@code pganalytics-api}, 15 minutes. */
    public static final TokenSettings DEFAULT = new TokenSettings("pganalytics", "pganalytics-api", Duration.ofMinutes(15));

    public TokenSettings {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(audience, "audience");
        Objects.requireNonNull(accessTtl, "accessTtl");
    }
}
