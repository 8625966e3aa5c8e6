package io.pganalytics.api;

import io.pganalytics.api.auth.RateLimitSettings;
import io.pganalytics.api.auth.TokenSettings;
import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.config.Values;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The API role's configuration; every key is declared once in {@link Keys}, and {@link #FIELDS} is what
 * docs/configuration.md shows.
 *
 * @param host             {@code api.host}: address to bind; 127.0.0.1 unless the API is meant to be reached from elsewhere
 * @param port             {@code api.port}: HTTP port (0 picks a free one)
 * @param databaseUrl      {@code control.database.url}: the control-plane PostgreSQL, {@code jdbc:postgresql://...}
 * @param databaseUser     {@code control.database.user}: its user
 * @param databasePassword {@code control.database.password}: its password (never logged)
 * @param bootstrapServers {@code kafka.bootstrap.servers}: Kafka
 * @param adminToken       {@code api.admin.token}: the interim admin bearer token (never logged); null = no admin
 * @param corsAllowedOrigins {@code api.cors.allowed.origins}: browser origins allowed to call; empty = no CORS
 * @param maxBodyBytes     {@code api.max.body.bytes}: the largest request body accepted (413 beyond)
 * @param schemaRegistryUrl {@code schema.registry.url}: the registry of the fleet topics' schemas; null = no fleet views
 * @param tokens           {@code api.token.*}: the access tokens' issuer, audience and lifetime
 * @param rateLimits       {@code api.rate.limit.*}, {@code api.trusted.proxies}: requests per minute per user, collector and login address
 * @param mfaRequiredRoles {@code api.mfa.required.roles}: roles whose users must sign in with a second factor
 * @param tlsCertificate   {@code api.tls.certificate}: PEM certificate chain of the listener; null = plain HTTP
 * @param tlsKey           {@code api.tls.key}: its PKCS#8 PEM private key
 * @param oidc             {@code oidc.*}: OpenID Connect sign-in, null when off
 * @param saml             {@code saml.*}: SAML 2.0 sign-in, null when off
 * @param auditPublicKey   {@code audit.checkpoint.public.key}: the pinned key {@code GET /api/v1/audit/verify} checks
 *                         checkpoints' signatures with; null checks links and vouched hashes only
 */
public record ApiConfig(String host, int port, String databaseUrl, String databaseUser, String databasePassword,
                        String bootstrapServers, String adminToken, List<String> corsAllowedOrigins,
                        long maxBodyBytes, String schemaRegistryUrl, TokenSettings tokens, RateLimitSettings rateLimits,
                        List<String> mfaRequiredRoles, java.nio.file.Path tlsCertificate, java.nio.file.Path tlsKey,
                        io.pganalytics.api.accounts.OidcConfig oidc, io.pganalytics.api.accounts.SamlConfig saml,
                        java.nio.file.Path auditPublicKey) {

    /** The default of {@code api.max.body.bytes}: 1 MiB, enough for a bulk import of thousands of rows. */
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

    /** A configuration with no admin token, no CORS and the default body limit. */
    public ApiConfig(String host, int port, String databaseUrl, String databaseUser, String databasePassword,
                     String bootstrapServers) {
        this(host, port, databaseUrl, databaseUser, databasePassword, bootstrapServers, null, List.of(),
                DEFAULT_MAX_BODY_BYTES, null, TokenSettings.DEFAULT, RateLimitSettings.DEFAULT, List.of(), null, null, null, null, null);
    }

    /** A configuration with the default {@link TokenSettings}. */
    public ApiConfig(String host, int port, String databaseUrl, String databaseUser, String databasePassword,
                     String bootstrapServers, String adminToken, List<String> corsAllowedOrigins, long maxBodyBytes,
                     String schemaRegistryUrl) {
        this(host, port, databaseUrl, databaseUser, databasePassword, bootstrapServers, adminToken, corsAllowedOrigins,
                maxBodyBytes, schemaRegistryUrl, TokenSettings.DEFAULT, RateLimitSettings.DEFAULT, List.of(), null, null, null, null, null);
    }

    /** This configuration reading the fleet topics with the schemas of {@code schemaRegistryUrl}. */
    public ApiConfig withSchemaRegistry(String schemaRegistryUrl) {
        return new ApiConfig(host, port, databaseUrl, databaseUser, databasePassword, bootstrapServers, adminToken,
                corsAllowedOrigins, maxBodyBytes, schemaRegistryUrl, tokens, rateLimits, mfaRequiredRoles, tlsCertificate, tlsKey, oidc, saml, auditPublicKey);
    }

    /** This configuration verifying the audit trail's checkpoints with the public key in {@code file}. */
    public ApiConfig withAuditPublicKey(java.nio.file.Path file) {
        return new ApiConfig(host, port, databaseUrl, databaseUser, databasePassword, bootstrapServers, adminToken,
                corsAllowedOrigins, maxBodyBytes, schemaRegistryUrl, tokens, rateLimits, mfaRequiredRoles, tlsCertificate, tlsKey, oidc, saml,
                file);
    }

    /** This configuration with {@code adminToken} as its admin token. */
    public ApiConfig withAdminToken(String adminToken) {
        return new ApiConfig(host, port, databaseUrl, databaseUser, databasePassword, bootstrapServers, adminToken,
                corsAllowedOrigins, maxBodyBytes, schemaRegistryUrl, tokens, rateLimits, mfaRequiredRoles, tlsCertificate, tlsKey, oidc, saml, auditPublicKey);
    }

    /** This configuration with {@code rateLimits}. */
    public ApiConfig withRateLimits(RateLimitSettings rateLimits) {
        return new ApiConfig(host, port, databaseUrl, databaseUser, databasePassword, bootstrapServers, adminToken,
                corsAllowedOrigins, maxBodyBytes, schemaRegistryUrl, tokens, rateLimits, mfaRequiredRoles, tlsCertificate, tlsKey, oidc, saml, auditPublicKey);
    }

    /** This configuration requiring a second factor of the users of {@code roles}. */
    public ApiConfig withMfaRequiredRoles(List<String> roles) {
        return new ApiConfig(host, port, databaseUrl, databaseUser, databasePassword, bootstrapServers, adminToken,
                corsAllowedOrigins, maxBodyBytes, schemaRegistryUrl, tokens, rateLimits, roles, tlsCertificate, tlsKey, oidc, saml, auditPublicKey);
    }

    /** This configuration serving HTTPS with the PEM chain {@code certificate} and key {@code key}. */
    public ApiConfig withTls(java.nio.file.Path certificate, java.nio.file.Path key) {
        return new ApiConfig(host, port, databaseUrl, databaseUser, databasePassword, bootstrapServers, adminToken,
                corsAllowedOrigins, maxBodyBytes, schemaRegistryUrl, tokens, rateLimits, mfaRequiredRoles, certificate, key, oidc, saml, auditPublicKey);
    }

    /** This configuration signing users in by the SAML identity provider {@code saml} too. */
    public ApiConfig withSaml(io.pganalytics.api.accounts.SamlConfig saml) {
        return new ApiConfig(host, port, databaseUrl, databaseUser, databasePassword, bootstrapServers, adminToken,
                corsAllowedOrigins, maxBodyBytes, schemaRegistryUrl, tokens, rateLimits, mfaRequiredRoles, tlsCertificate, tlsKey, oidc, saml, auditPublicKey);
    }

    /** This configuration signing users in by the OpenID provider {@code oidc} too. */
    public ApiConfig withOidc(io.pganalytics.api.accounts.OidcConfig oidc) {
        return new ApiConfig(host, port, databaseUrl, databaseUser, databasePassword, bootstrapServers, adminToken,
                corsAllowedOrigins, maxBodyBytes, schemaRegistryUrl, tokens, rateLimits, mfaRequiredRoles, tlsCertificate, tlsKey, oidc, saml, auditPublicKey);
    }

    /** Whether the listener speaks HTTPS. */
    public boolean tls() {
        return tlsCertificate != null;
    }

    /** Every key the API reads, declared once: its type, default, rule and meaning. */
    public static final class Keys {

        private Keys() {
        }

        public static final Field<String> HOST = Field.string("api.host").withDefault("127.0.0.1")
                .withDoc("address to bind; `127.0.0.1` unless the API is meant to be reached from elsewhere");
        public static final Field<Integer> PORT = Field.integer("api.port").withDefault(8080)
                .withCheck(port -> port >= 0 && port <= 65535 ? null : "expected 0-65535, got " + port)
                .withDoc("HTTP port; `0` picks a free one");
        // The control plane's keys are its own (fleet-admin's ControlPlaneConfig), not declared twice.
        public static final Field<String> DATABASE_URL = ControlPlaneConfig.Keys.DATABASE_URL;
        public static final Field<String> DATABASE_USER = ControlPlaneConfig.Keys.DATABASE_USER;
        public static final Field<String> DATABASE_PASSWORD = ControlPlaneConfig.Keys.DATABASE_PASSWORD;
        public static final Field<String> BOOTSTRAP_SERVERS = ControlPlaneConfig.Keys.BOOTSTRAP_SERVERS;
        public static final Field<String> SCHEMA_REGISTRY_URL = ControlPlaneConfig.Keys.SCHEMA_REGISTRY_URL;
        public static final Field<String> ADMIN_TOKEN = Field.string("api.admin.token").optional()
                .withCheck(token -> token.length() >= 16 ? null : "expected at least 16 characters")
                .secret().withDoc("the interim admin bearer token (`Authorization: Bearer <token>`) until the identity "
                        + "issue lands; the quickstart generates one; never logged. Without it no admin can call");
        public static final Field<List<String>> CORS_ALLOWED_ORIGINS = Field.list("api.cors.allowed.origins")
                .withDefault(List.of())
                .withDoc("browser origins (e.g. `https://console.example.com`) allowed to call the API; empty = no CORS");
        public static final Field<Long> MAX_BODY_BYTES = Field.longValue("api.max.body.bytes")
                .withDefault(DEFAULT_MAX_BODY_BYTES)
                .withCheck(bytes -> bytes >= 1024 && bytes <= 64L * 1024 * 1024 ? null : "expected 1024-67108864, got " + bytes)
                .withDoc("the largest request body accepted; a longer one is answered 413");
        public static final Field<String> TOKEN_ISSUER = Field.string("api.token.issuer").withDefault(TokenSettings.DEFAULT.issuer())
                .withDoc("`iss` of the access tokens the API signs, required back; the same on every replica");
        public static final Field<String> TOKEN_AUDIENCE = Field.string("api.token.audience")
                .withDefault(TokenSettings.DEFAULT.audience())
                .withDoc("`aud` of the access tokens, required back; the same on every replica");
        public static final Field<Integer> TOKEN_ACCESS_TTL_SECONDS = Field.integer("api.token.access.ttl.seconds")
                .withDefault((int) TokenSettings.DEFAULT.accessTtl().toSeconds())
                .withCheck(s -> s >= 60 && s <= 3600 ? null : "expected 60-3600, got " + s)
                .withDoc("how long an access token is accepted; the refresh token (7 days, rotated at every use) gets the next one");
        public static final Field<Long> RATE_USER = Field.longValue("api.rate.limit.user.per.minute")
                .withDefault(RateLimitSettings.DEFAULT.userPerMinute())
                .withCheck(n -> n >= 0 ? null : "expected 0 (off) or more, got " + n)
                .withDoc("requests a minute of one signed-in user, shared by every replica; beyond: `429` with `Retry-After`; 0 = no limit");
        public static final Field<Long> RATE_COLLECTOR = Field.longValue("api.rate.limit.collector.per.minute")
                .withDefault(RateLimitSettings.DEFAULT.collectorPerMinute())
                .withCheck(n -> n >= 0 ? null : "expected 0 (off) or more, got " + n)
                .withDoc("requests a minute of one collector token; 0 = no limit");
        public static final Field<Long> RATE_LOGIN = Field.longValue("api.rate.limit.login.per.minute")
                .withDefault(RateLimitSettings.DEFAULT.loginPerIpPerMinute())
                .withCheck(n -> n >= 0 ? null : "expected 0 (off) or more, got " + n)
                .withDoc("login attempts a minute from one client address (beside the lockout of a name after 5 failures); 0 = no limit");
        public static final Field<List<String>> MFA_REQUIRED_ROLES = Field.list("api.mfa.required.roles").withDefault(List.of())
                .withCheck(roles -> roles.stream().filter(r -> !io.pganalytics.fleet.admin.Accounts.ROLES.contains(r)).findFirst()
                        .map(r -> "expected roles of " + io.pganalytics.fleet.admin.Accounts.ROLES + ", got '" + r + "'").orElse(null))
                .withDoc("roles whose users must sign in with a TOTP code (e.g. `admin`); a user of one without a second factor "
                        + "is told to enrol (`POST /api/v1/auth/mfa/enrol`) and gets no token until then");
        public static final Field<String> TLS_CERTIFICATE = Field.string("api.tls.certificate").optional()
                .withDoc("PEM file of the listener's certificate chain, leaf first; with `api.tls.key` the API speaks only HTTPS "
                        + "and sends `Strict-Transport-Security`");
        public static final Field<String> TLS_KEY = Field.string("api.tls.key").optional()
                .withDoc("PEM file of its private key, PKCS#8 (`BEGIN PRIVATE KEY`)");
        public static final Field<String> AUDIT_PUBLIC_KEY = Field.string("audit.checkpoint.public.key").optional()
                .withDoc("the Ed25519 public key (PEM, `pganalytics audit keygen`) that `GET /api/v1/audit/verify` checks the"
                        + " checkpoints' signatures with; unset, it checks the chain's links and the hashes checkpoints vouch for");
        public static final Field<List<String>> TRUSTED_PROXIES = Field.list("api.trusted.proxies").withDefault(List.of())
                .withDoc("addresses of load balancers whose `X-Forwarded-For` names the client (for limits and logs); "
                        + "empty = the connection's address is the client");
    }

    /** Every key the API reads, in documentation order, each overridden by {@code PGA_<KEY>}. */
    public static final Fields FIELDS = Fields.of("PGA_", Keys.HOST, Keys.PORT, Keys.ADMIN_TOKEN, Keys.CORS_ALLOWED_ORIGINS,
            Keys.MAX_BODY_BYTES, Keys.TOKEN_ISSUER, Keys.TOKEN_AUDIENCE, Keys.TOKEN_ACCESS_TTL_SECONDS, Keys.RATE_USER, Keys.RATE_COLLECTOR, Keys.RATE_LOGIN,
            Keys.TRUSTED_PROXIES, Keys.MFA_REQUIRED_ROLES, Keys.TLS_CERTIFICATE, Keys.TLS_KEY, Keys.AUDIT_PUBLIC_KEY).and(io.pganalytics.api.accounts.OidcConfig.FIELDS)
            .and(io.pganalytics.api.accounts.SamlConfig.FIELDS).and(ControlPlaneConfig.FIELDS);

    /** Follows the rules of {@link Keys}; an {@link InvalidValue} names every key that does not. */
    public ApiConfig {
        List<InvalidValue.Problem> problems = new ArrayList<>();
        Keys.PORT.problemWith(port).ifPresent(problems::add);
        Keys.MAX_BODY_BYTES.problemWith(maxBodyBytes).ifPresent(problems::add);
        if (adminToken != null) {
            Keys.ADMIN_TOKEN.problemWith(adminToken).ifPresent(problems::add);
        }
        corsAllowedOrigins = corsAllowedOrigins == null ? List.of() : List.copyOf(corsAllowedOrigins);
        tokens = tokens == null ? TokenSettings.DEFAULT : tokens;
        rateLimits = rateLimits == null ? RateLimitSettings.DEFAULT : rateLimits;
        mfaRequiredRoles = mfaRequiredRoles == null ? List.of() : List.copyOf(mfaRequiredRoles);
        Keys.MFA_REQUIRED_ROLES.problemWith(mfaRequiredRoles).ifPresent(problems::add);
        if ((tlsCertificate == null) != (tlsKey == null)) {
            problems.add(new InvalidValue.Problem(tlsCertificate == null ? Keys.TLS_CERTIFICATE.name() : Keys.TLS_KEY.name(),
                    "required with " + (tlsCertificate == null ? Keys.TLS_KEY.name() : Keys.TLS_CERTIFICATE.name())));
        }
        Keys.TOKEN_ACCESS_TTL_SECONDS.problemWith((int) Math.min(Integer.MAX_VALUE, tokens.accessTtl().toSeconds()))
                .ifPresent(problems::add);
        if (databaseUrl == null || !databaseUrl.startsWith("jdbc:postgresql://")) {
            problems.add(new InvalidValue.Problem(Keys.DATABASE_URL.name(), "expected jdbc:postgresql://host:port/db"));
        }
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            problems.add(new InvalidValue.Problem(Keys.BOOTSTRAP_SERVERS.name(), "required"));
        }
        InvalidValue.throwIfAny(problems);
    }

    /** Reads the configuration from properties, each key overridden by its variable in {@code environment}. */
    public static ApiConfig from(Map<String, String> properties, Map<String, String> environment) {
        return from(FIELDS.read(properties, environment));
    }

    /** The configuration {@code values} (read against {@link #FIELDS}) describe; every bad value in one {@link InvalidValue}. */
    public static ApiConfig from(Values values) {
        String host = values.get(Keys.HOST);
        int port = values.get(Keys.PORT);
        String databaseUrl = values.get(Keys.DATABASE_URL);
        String bootstrapServers = values.get(Keys.BOOTSTRAP_SERVERS);
        String adminToken = values.get(Keys.ADMIN_TOKEN);
        List<String> origins = values.get(Keys.CORS_ALLOWED_ORIGINS);
        long maxBodyBytes = values.get(Keys.MAX_BODY_BYTES);
        String issuer = values.get(Keys.TOKEN_ISSUER);
        String audience = values.get(Keys.TOKEN_AUDIENCE);
        Integer ttl = values.get(Keys.TOKEN_ACCESS_TTL_SECONDS);
        RateLimitSettings limits = new RateLimitSettings(values.get(Keys.RATE_USER), values.get(Keys.RATE_COLLECTOR),
                values.get(Keys.RATE_LOGIN), values.get(Keys.TRUSTED_PROXIES));
        List<String> mfaRoles = values.get(Keys.MFA_REQUIRED_ROLES);
        String certificate = values.get(Keys.TLS_CERTIFICATE);
        String key = values.get(Keys.TLS_KEY);
        io.pganalytics.api.accounts.OidcConfig oidc = io.pganalytics.api.accounts.OidcConfig.from(values);
        io.pganalytics.api.accounts.SamlConfig saml = io.pganalytics.api.accounts.SamlConfig.from(values);
        values.validate();
        String auditKey = values.get(Keys.AUDIT_PUBLIC_KEY);
        return new ApiConfig(host, port, databaseUrl, values.get(Keys.DATABASE_USER),
                values.get(Keys.DATABASE_PASSWORD), bootstrapServers, adminToken, origins, maxBodyBytes,
                values.get(Keys.SCHEMA_REGISTRY_URL), new TokenSettings(issuer, audience, java.time.Duration.ofSeconds(ttl)), limits, mfaRoles,
                certificate == null ? null : java.nio.file.Path.of(certificate), key == null ? null : java.nio.file.Path.of(key), oidc, saml,
                auditKey == null ? null : java.nio.file.Path.of(auditKey));
    }

    @Override
    public String toString() {
        return "ApiConfig[host=" + host + ", port=" + port + ", databaseUrl=" + databaseUrl + ", databaseUser="
                + databaseUser + ", bootstrapServers=" + bootstrapServers + ", adminToken=" + (adminToken == null ? "none" : "***")
                + ", corsAllowedOrigins=" + corsAllowedOrigins + ", maxBodyBytes=" + maxBodyBytes + ", schemaRegistryUrl="
                + schemaRegistryUrl + ", tokens=" + tokens + ", rateLimits=" + rateLimits + ", mfaRequiredRoles=" + mfaRequiredRoles + ", tlsCertificate=" + tlsCertificate + ", oidc=" + oidc + ", saml=" + saml + ", auditPublicKey=" + auditPublicKey + "]";
    }
}
