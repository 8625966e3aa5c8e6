package io.pganalytics.api.accounts;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWT;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import io.pganalytics.fleet.admin.Accounts;
import io.pganalytics.fleet.admin.Actor;
import io.pganalytics.fleet.admin.ControlPlane;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenID Connect sign-in (Nimbus OAuth 2.0 SDK): the authorization-code flow with PKCE (S256), {@code state} and
 * {@code nonce} kept in the control-plane database for whichever replica gets the callback, the ID token validated
 * (signature from the provider's JWKS, issuer, audience, expiry, nonce), and the user's groups mapped to a role. The
 * provider's discovery document is read at the first sign-in, not at start, so a provider that is down does not
 * keep the API from starting.
 */
final class OidcSignIn {

    private static final Logger LOG = LoggerFactory.getLogger(OidcSignIn.class);
    private final OidcConfig config;
    private final Accounts accounts;
    private volatile Provider provider;

    private record Provider(OIDCProviderMetadata metadata, IDTokenValidator validator) {
    }

    OidcSignIn(OidcConfig config, Accounts accounts) {
        this.config = config;
        this.accounts = accounts;
    }

    /** Where to send the browser: the provider's authorization endpoint with a fresh state, nonce and PKCE challenge. */
    URI authorizationUrl() {
        Provider p = provider();
        State state = new State();
        Nonce nonce = new Nonce();
        CodeVerifier verifier = new CodeVerifier();
        accounts.saveSsoRequest(state.getValue(), nonce.getValue(), verifier.getValue());
        Scope scope = Scope.parse(config.scopes());
        if (!scope.contains("openid")) {
            scope.add("openid");
        }
        return new AuthenticationRequest.Builder(ResponseType.CODE, scope, new ClientID(config.clientId()), URI.create(config.redirectUri()))
                .endpointURI(p.metadata().getAuthorizationEndpointURI()).state(state).nonce(nonce)
                .codeChallenge(verifier, CodeChallengeMethod.S256).build().toURI();
    }

    /**
     * The user the provider's callback vouches for: the request of {@code state} taken (once), the code exchanged
     * with its PKCE verifier, the ID token validated, the role from the groups.
     *
     * @throws ControlPlane.NotAuthorized for every refusal, with one message (the log says which)
     */
    Accounts.User callback(String code, String state, String error, String from) {
        if (error != null) {
            throw refused("the provider answered " + error);
        }
        Accounts.SsoRequest request = accounts.takeSsoRequest(state)
                .orElseThrow(() -> refused("unknown, used or expired state"));
        if (code == null || code.isBlank()) {
            throw refused("no code");
        }
        Provider p = provider();
        IDTokenClaimsSet claims;
        try {
            TokenRequest tokenRequest = new TokenRequest(p.metadata().getTokenEndpointURI(),
                    new ClientSecretBasic(new ClientID(config.clientId()), new Secret(config.clientSecret() == null ? "" : config.clientSecret())),
                    new AuthorizationCodeGrant(new AuthorizationCode(code), URI.create(config.redirectUri()),
                            new CodeVerifier(request.codeVerifier())));
            TokenResponse response = OIDCTokenResponseParser.parse(tokenRequest.toHTTPRequest().send());
            if (!response.indicatesSuccess()) {
                throw refused("the token endpoint answered " + response.toErrorResponse().getErrorObject());
            }
            JWT idToken = ((OIDCTokenResponse) response.toSuccessResponse()).getOIDCTokens().getIDToken();
            claims = validate(idToken, request.nonce());
        } catch (com.nimbusds.oauth2.sdk.ParseException | java.io.IOException e) {
            throw new ControlPlane.Unavailable("OIDC provider " + config.issuer() + ": " + e.getMessage(), e);
        }
        Object rawName = claims.getClaim(config.usernameClaim());
        if (!(rawName instanceof String name)) {
            throw refused("no " + config.usernameClaim() + " claim");
        }
        List<String> groups = groups(claims.getClaim(config.groupsClaim()));
        Optional<String> role = Accounts.highestRole(config.roleGroups(), groups);
        if (role.isEmpty()) {
            throw refused(name + " is in no mapped group");
        }
        try {
            return accounts.provisionExternal(new Actor("oidc:" + config.issuer(), "system", from), name.toLowerCase(Locale.ROOT),
                    role.get(), "oidc");
        } catch (ControlPlane.NotAuthorized e) {
            throw refused(e.getMessage());
        }
    }

    /** The claims of {@code idToken} when the provider signed it for us, for this sign-in ({@code nonce}), and it is current. */
    IDTokenClaimsSet validate(JWT idToken, String nonce) {
        try {
            return provider().validator().validate(idToken, new Nonce(nonce));
        } catch (com.nimbusds.jose.JOSEException | com.nimbusds.jose.proc.BadJOSEException e) {
            throw refused("the ID token is not valid: " + e.getMessage());
        }
    }

    private static List<String> groups(Object claim) {
        if (claim instanceof List<?> list) {
            return list.stream().filter(String.class::isInstance).map(String.class::cast).toList();
        }
        return claim instanceof String one ? List.of(one) : List.of();
    }

    private static ControlPlane.NotAuthorized refused(String why) {
        LOG.info("OIDC sign-in refused: {}", why);
        return new ControlPlane.NotAuthorized("single sign-on refused");
    }

    private Provider provider() {
        Provider known = provider;
        if (known != null) {
            return known;
        }
        try {
            OIDCProviderMetadata metadata = OIDCProviderMetadata.resolve(new Issuer(config.issuer()));
            List<JWSAlgorithm> advertised = metadata.getIDTokenJWSAlgs();
            // The provider's asymmetric algorithms only: an HMAC ID token would be "signed" with our own client secret,
            // and "none" not at all.
            java.util.Set<JWSAlgorithm> algorithms = new java.util.HashSet<>(advertised == null ? List.of(JWSAlgorithm.RS256) : advertised);
            algorithms.removeIf(a -> JWSAlgorithm.Family.HMAC_SHA.contains(a) || a.getName().equalsIgnoreCase("none"));
            if (algorithms.isEmpty()) {
                algorithms.add(JWSAlgorithm.RS256);
            }
            com.nimbusds.jose.jwk.source.JWKSource<com.nimbusds.jose.proc.SecurityContext> keys =
                    com.nimbusds.jose.jwk.source.JWKSourceBuilder.create(metadata.getJWKSetURI().toURL()).build();
            IDTokenValidator validator = new IDTokenValidator(metadata.getIssuer(), new ClientID(config.clientId()),
                    new com.nimbusds.jose.proc.JWSVerificationKeySelector<>(algorithms, keys), null);
            validator.setMaxClockSkew(30);
            provider = new Provider(metadata, validator);
            return provider;
        } catch (com.nimbusds.oauth2.sdk.GeneralException | java.io.IOException e) {
            throw new ControlPlane.Unavailable("OIDC provider " + config.issuer() + ": " + e.getMessage(), e);
        }
    }
}
