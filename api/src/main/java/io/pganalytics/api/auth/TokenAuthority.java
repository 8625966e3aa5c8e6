package io.pganalytics.api.auth;

import io.jsonwebtoken.Claims;
import io.jsonwebtoken.JweHeader;
import io.jsonwebtoken.JwsHeader;
import io.jsonwebtoken.JwtException;
import io.jsonwebtoken.JwtParser;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.LocatorAdapter;
import io.jsonwebtoken.security.SecurityException;
import io.pganalytics.fleet.admin.Accounts;
import java.security.Key;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs and verifies the API's access tokens: JWTs signed with EdDSA (Ed25519), the one algorithm accepted, by the
 * newest key of the control plane's key ring, every key not retired verifying ({@code kid}). A token is accepted
 * only with {@code iss}, {@code aud}, {@code sub}, {@code exp}, {@code iat}, {@code jti} and {@code typ=access};
 * a header naming its own key ({@code jku}, {@code jwk}, {@code x5u}, {@code x5c}), a critical extension or a
 * compression is refused, as is anything but a signed JWT (unsecured {@code alg: none}, JWE).
 */
public final class TokenAuthority {

    /** Longer tokens are refused before they are decoded: ours are about 500 characters. */
    public static final int MAX_TOKEN_CHARS = 4096;
    /** Clocks of replicas and clients drift; {@code exp}, {@code nbf} and {@code iat} are checked with this leeway. */
    public static final long CLOCK_SKEW_SECONDS = 30;
    static final String ALGORITHM = "EdDSA";
    private static final Logger LOG = LoggerFactory.getLogger(TokenAuthority.class);

    /** An access token just signed. */
    public record Issued(String token, String tokenId, Instant expiresAt) {
        @Override
        public String toString() {
            return "Issued[tokenId=" + tokenId + ", expiresAt=" + expiresAt + "]";
        }
    }

    /**
     * What a verified access token says.
     *
     * @param family       the refresh family of the session it belongs to
     * @param sessionEpoch the user's session epoch when it was issued
     */
    public record Verified(String subject, String tokenId, String family, int sessionEpoch, Instant expiresAt) {
    }

    private final TokenSettings settings;
    private final KeyRing ring;
    private final Clock clock;
    private final JwtParser parser;

    public TokenAuthority(TokenSettings settings, KeyRing ring, Clock clock) {
        this.settings = settings;
        this.ring = ring;
        this.clock = clock;
        this.parser = Jwts.parser()
                .keyLocator(new RingLocator())
                .sig().clear().add(Jwts.SIG.EdDSA).and()
                .enc().clear().and()
                .key().clear().and()
                .zip().clear().and()
                .requireIssuer(settings.issuer())
                .requireAudience(settings.audience())
                .require("typ", "access")
                .clock(() -> Date.from(clock.instant()))
                .clockSkewSeconds(CLOCK_SKEW_SECONDS)
                .build();
    }

    public TokenSettings settings() {
        return settings;
    }

    /** A new access token for {@code user} in session {@code family}. */
    public Issued issue(Accounts.User user, String family) {
        Accounts.SigningKey key = ring.signingKey();
        Instant now = clock.instant();
        Instant expiresAt = now.plus(settings.accessTtl());
        String id = UUID.randomUUID().toString();
        String token = Jwts.builder()
                .header().keyId(key.kid()).type("at+jwt").and()
                .issuer(settings.issuer()).audience().add(settings.audience()).and()
                .subject(user.name()).id(id)
                .issuedAt(Date.from(now)).notBefore(Date.from(now)).expiration(Date.from(expiresAt))
                .claim("typ", "access").claim("role", user.role()).claim("sep", user.sessionEpoch()).claim("fam", family)
                .signWith(key.privateKey(), Jwts.SIG.EdDSA)
                .compact();
        return new Issued(token, id, expiresAt.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    }

    /** What {@code token} says, when it is one of ours, intact, current and complete; empty otherwise (logged at debug). */
    public Optional<Verified> verify(String token) {
        if (token == null || token.length() > MAX_TOKEN_CHARS) {
            return Optional.empty();
        }
        try {
            Claims claims = parser.parseSignedClaims(token).getPayload();
            Date expiration = claims.getExpiration();
            Date issuedAt = claims.getIssuedAt();
            String subject = claims.getSubject();
            String id = claims.getId();
            Object epoch = claims.get("sep");
            Object family = claims.get("fam");
            if (expiration == null || issuedAt == null || subject == null || subject.isBlank() || id == null || id.isBlank()
                    || !(epoch instanceof Integer sep) || !(family instanceof String fam)) {
                LOG.debug("access token refused: a required claim is missing");
                return Optional.empty();
            }
            if (issuedAt.toInstant().isAfter(clock.instant().plusSeconds(CLOCK_SKEW_SECONDS))) {
                LOG.debug("access token refused: issued in the future");
                return Optional.empty();
            }
            return Optional.of(new Verified(subject, id, fam, sep, expiration.toInstant()));
        } catch (JwtException | IllegalArgumentException | ClassCastException e) {
            LOG.debug("access token refused: {}", e.getMessage());
            return Optional.empty();
        }
    }

    /** The public keys as a JWK Set (RFC 7517, OKP keys of RFC 8037): what {@code /.well-known/jwks.json} answers. */
    public Map<String, Object> jwks() {
        List<Map<String, Object>> keys = ring.verifyingKeys().stream().map(key -> {
            byte[] encoded = key.publicKey().getEncoded();
            // An Ed25519 SubjectPublicKeyInfo is a fixed 12-byte prefix and the 32-byte key (RFC 8410).
            byte[] raw = java.util.Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
            Map<String, Object> jwk = new LinkedHashMap<>();
            jwk.put("kty", "OKP");
            jwk.put("crv", "Ed25519");
            jwk.put("kid", key.kid());
            jwk.put("alg", ALGORITHM);
            jwk.put("use", "sig");
            jwk.put("x", Base64.getUrlEncoder().withoutPadding().encodeToString(raw));
            return jwk;
        }).toList();
        return Map.of("keys", keys);
    }

    /** Finds the verification key by {@code kid}, after refusing every header that would choose another. */
    private final class RingLocator extends LocatorAdapter<Key> {
        @Override
        protected Key locate(JwsHeader header) {
            if (!ALGORITHM.equals(header.getAlgorithm())) {
                throw new SecurityException("algorithm " + header.getAlgorithm() + " is not " + ALGORITHM);
            }
            if (header.getJwkSetUrl() != null || header.getJwk() != null || header.getX509Url() != null
                    || header.getX509Chain() != null || header.getX509Sha1Thumbprint() != null
                    || header.getX509Sha256Thumbprint() != null) {
                throw new SecurityException("a token naming its own key is refused");
            }
            if (header.getCritical() != null && !header.getCritical().isEmpty()) {
                throw new SecurityException("critical header extensions are refused");
            }
            String kid = header.getKeyId();
            if (kid == null) {
                throw new SecurityException("no kid");
            }
            return ring.verifyingKey(kid).<Key>map(Accounts.SigningKey::publicKey)
                    .orElseThrow(() -> new SecurityException("unknown kid"));
        }

        @Override
        protected Key locate(JweHeader header) {
            throw new SecurityException("encrypted tokens are refused");
        }
    }

    /** The control plane's signing keys as this replica knows them. */
    public interface KeyRing {
        /** The key that signs now. */
        Accounts.SigningKey signingKey();

        /** Every key that verifies. */
        List<Accounts.SigningKey> verifyingKeys();

        /** The verifying key {@code kid}; looks again (at most once a second) when it is not known here. */
        Optional<Accounts.SigningKey> verifyingKey(String kid);

        /** A ring over what {@code load} returns (newest first), reloaded by {@link Reloading#reload()}. */
        static Reloading reloading(Supplier<List<Accounts.SigningKey>> load, Clock clock) {
            return new Reloading(load, clock);
        }
    }

    /** A {@link KeyRing} that reloads on demand and on a miss. */
    public static final class Reloading implements KeyRing {
        private final Supplier<List<Accounts.SigningKey>> load;
        private final Clock clock;
        private volatile List<Accounts.SigningKey> keys;
        private volatile Instant lastMissReload = Instant.EPOCH;

        Reloading(Supplier<List<Accounts.SigningKey>> load, Clock clock) {
            this.load = load;
            this.clock = clock;
            this.keys = List.copyOf(load.get());
        }

        /** Reads the ring again (a rotation on another replica, a retirement). */
        public void reload() {
            keys = List.copyOf(load.get());
        }

        @Override
        public Accounts.SigningKey signingKey() {
            return keys.get(0);
        }

        @Override
        public List<Accounts.SigningKey> verifyingKeys() {
            return keys;
        }

        @Override
        public Optional<Accounts.SigningKey> verifyingKey(String kid) {
            Optional<Accounts.SigningKey> found = find(kid);
            Instant now = clock.instant();
            if (found.isEmpty() && now.isAfter(lastMissReload.plusSeconds(1))) {
                // A key made by a rotation elsewhere a moment ago; once a second at most, so that garbage kids do not
                // turn into a query each.
                lastMissReload = now;
                try {
                    reload();
                } catch (RuntimeException e) {
                    LOG.warn("could not reload the signing keys: {}", e.getMessage());
                }
                found = find(kid);
            }
            return found;
        }

        private Optional<Accounts.SigningKey> find(String kid) {
            for (Accounts.SigningKey key : keys) {
                if (key.kid().equals(kid)) {
                    return Optional.of(key);
                }
            }
            return Optional.empty();
        }
    }
}
