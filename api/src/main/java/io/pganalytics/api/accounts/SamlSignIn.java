package io.pganalytics.api.accounts;

import com.onelogin.saml2.authn.SamlResponse;
import com.onelogin.saml2.http.HttpRequest;
import com.onelogin.saml2.settings.Saml2Settings;
import com.onelogin.saml2.settings.SettingsBuilder;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.fleet.admin.Accounts;
import io.pganalytics.fleet.admin.Actor;
import io.pganalytics.fleet.admin.ControlPlane;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SAML 2.0 service provider (OneLogin's java-saml, on Apache Santuario): the HTTP-POST binding's response is
 * validated in strict mode with signed assertions required (signature by the configured certificate, exactly one
 * assertion and the signed one used, issuer, audience, recipient and destination, validity window), each assertion id
 * accepted once on every replica, and the groups attribute mapped to a role.
 */
final class SamlSignIn {

    private static final Logger LOG = LoggerFactory.getLogger(SamlSignIn.class);
    private final SamlConfig config;
    private final Accounts accounts;
    private final Saml2Settings settings;

    SamlSignIn(SamlConfig config, Accounts accounts) {
        this.config = config;
        this.accounts = accounts;
        String certificate;
        try {
            certificate = Files.readString(config.idpCertificate());
        } catch (IOException | RuntimeException e) {
            throw new InvalidValue(SamlConfig.Keys.IDP_CERTIFICATE.name(), "cannot read " + config.idpCertificate() + " ("
                    + e.getClass().getSimpleName() + ")");
        }
        Map<String, Object> values = new HashMap<>();
        values.put(SettingsBuilder.STRICT_PROPERTY_KEY, true);
        values.put(SettingsBuilder.SP_ENTITYID_PROPERTY_KEY, config.spEntityId());
        values.put(SettingsBuilder.SP_ASSERTION_CONSUMER_SERVICE_URL_PROPERTY_KEY, config.acsUrl());
        values.put(SettingsBuilder.IDP_ENTITYID_PROPERTY_KEY, config.idpEntityId());
        values.put(SettingsBuilder.IDP_SINGLE_SIGN_ON_SERVICE_URL_PROPERTY_KEY, config.idpSsoUrl());
        values.put(SettingsBuilder.IDP_X509CERT_PROPERTY_KEY, certificate);
        values.put(SettingsBuilder.SECURITY_WANT_ASSERTIONS_SIGNED, true);
        values.put(SettingsBuilder.SECURITY_WANT_XML_VALIDATION, true);
        this.settings = new SettingsBuilder().fromValues(values).build();
        List<String> errors = settings.checkSettings();
        if (!errors.isEmpty()) {
            throw new InvalidValue(SamlConfig.Keys.IDP_ENTITY_ID.name(), "SAML settings: " + String.join(", ", errors));
        }
    }

    /** This service provider's metadata, for the identity provider. */
    String metadata() {
        try {
            return settings.getSPMetadata();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The user a posted {@code SAMLResponse} vouches for.
     *
     * The destination check compares with {@code saml.acs.url}, not with the URL this replica sees: behind a load
     * balancer the two differ, and the configured one is what the provider was told.
     *
     * @throws ControlPlane.NotAuthorized for every refusal, with one message (the log says which)
     */
    Accounts.User consume(String samlResponse, String from) {
        if (samlResponse == null || samlResponse.isBlank()) {
            throw refused("no SAMLResponse");
        }
        SamlResponse response;
        String name;
        List<String> groups;
        String assertionId;
        Instant notOnOrAfter;
        try {
            response = new SamlResponse(settings, new HttpRequest(config.acsUrl(), Map.of("SAMLResponse", List.of(samlResponse)), null));
            if (!response.isValid()) {
                throw refused(response.getError());
            }
            Map<String, List<String>> attributes = response.getAttributes();
            name = config.usernameAttribute() == null ? response.getNameId()
                    : Optional.ofNullable(attributes.get(config.usernameAttribute())).filter(v -> !v.isEmpty()).map(v -> v.get(0)).orElse(null);
            groups = attributes.getOrDefault(config.groupsAttribute(), List.of());
            assertionId = response.getAssertionId();
            notOnOrAfter = response.getAssertionNotOnOrAfter().stream().map(i -> Instant.ofEpochMilli(i.getMillis()))
                    .max(Instant::compareTo).orElse(Instant.now().plusSeconds(3600));
        } catch (ControlPlane.NotAuthorized e) {
            throw e;
        } catch (Exception e) {
            // java-saml declares Exception on its getters; a response it cannot read is a refused one.
            throw refused("unreadable response: " + e.getMessage());
        }
        if (assertionId == null || !accounts.firstUseOfAssertion(assertionId, notOnOrAfter)) {
            throw refused("assertion " + assertionId + " was used already");
        }
        if (name == null) {
            throw refused("no user name");
        }
        Optional<String> role = Accounts.highestRole(config.roleGroups(), groups);
        if (role.isEmpty()) {
            throw refused(name + " is in no mapped group");
        }
        try {
            return accounts.provisionExternal(new Actor("saml:" + config.idpEntityId(), "system", from), name.toLowerCase(Locale.ROOT),
                    role.get(), "saml");
        } catch (ControlPlane.NotAuthorized e) {
            throw refused(e.getMessage());
        }
    }

    private static ControlPlane.NotAuthorized refused(String why) {
        LOG.info("SAML sign-in refused: {}", why);
        return new ControlPlane.NotAuthorized("single sign-on refused");
    }
}
