package io.pganalytics.api.accounts;

import io.pganalytics.config.Check;
import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.Values;
import io.pganalytics.fleet.admin.Accounts;
import java.util.List;
import java.util.Map;

/**
 * OpenID Connect sign-in (docs/security.md): the provider, this API as its client, and which groups make which role.
 * Off when {@code oidc.issuer} is not set.
 *
 * @param issuer         the provider's issuer URL; its discovery document is read from {@code <issuer>/.well-known/openid-configuration}
 * @param clientId       this API's client id at the provider
 * @param clientSecret   its secret (client_secret_basic)
 * @param redirectUri    {@code https://<api>/api/v1/auth/oidc/callback} as registered at the provider
 * @param scopes         what is asked for; {@code openid} always
 * @param usernameClaim  the ID-token claim that names the user
 * @param groupsClaim    the ID-token claim listing the user's groups
 * @param roleGroups     role → the group that grants it; the highest role wins
 */
public record OidcConfig(String issuer, String clientId, String clientSecret, String redirectUri, List<String> scopes,
                         String usernameClaim, String groupsClaim, Map<String, String> roleGroups) {

    public OidcConfig {
        scopes = List.copyOf(scopes);
        roleGroups = Map.copyOf(roleGroups);
    }

    /** Every key of OIDC sign-in, declared once. */
    public static final class Keys {
        private Keys() {
        }

        public static final Field<String> ISSUER = Field.string("oidc.issuer").optional()
                .withCheck(Check.matching("https?://.+", "https://idp.example.com/realms/main"))
                .withDoc("the OpenID provider's issuer URL (its discovery document is read from it); unset: no OIDC sign-in");
        public static final Field<String> CLIENT_ID = Field.string("oidc.client.id").optional()
                .withDoc("this API's client id at the provider; required with `oidc.issuer`");
        public static final Field<String> CLIENT_SECRET = Field.string("oidc.client.secret").optional().secret()
                .withDoc("its client secret (sent as HTTP basic to the token endpoint); never logged");
        public static final Field<String> REDIRECT_URI = Field.string("oidc.redirect.uri").optional()
                .withDoc("`https://<api>/api/v1/auth/oidc/callback`, exactly as registered at the provider; required with `oidc.issuer`");
        public static final Field<List<String>> SCOPES = Field.list("oidc.scopes").withDefault(List.of("openid", "profile", "email"))
                .withDoc("scopes asked for; `openid` is always added");
        public static final Field<String> USERNAME_CLAIM = Field.string("oidc.username.claim").withDefault("preferred_username")
                .withDoc("the ID-token claim that is the user's name (lower-cased; it must be a valid user name)");
        public static final Field<String> GROUPS_CLAIM = Field.string("oidc.groups.claim").withDefault("groups")
                .withDoc("the ID-token claim listing the user's groups");
        public static final Field<String> ROLE_GROUPS = Field.string("oidc.role.groups").optional()
                .withDoc("`role=group` pairs separated by `;`, e.g. `admin=pga-admins;viewer=staff`; the highest role wins; "
                        + "a user in none of them cannot sign in");
    }

    /** The OIDC keys, each overridden by {@code PGA_<KEY>}. */
    public static final Fields FIELDS = Fields.of("PGA_", Keys.ISSUER, Keys.CLIENT_ID, Keys.CLIENT_SECRET, Keys.REDIRECT_URI,
            Keys.SCOPES, Keys.USERNAME_CLAIM, Keys.GROUPS_CLAIM, Keys.ROLE_GROUPS);

    /** The configuration {@code values} describe, or null when {@code oidc.issuer} is not set; problems are rejected into {@code values}. */
    public static OidcConfig from(Values values) {
        String issuer = values.get(Keys.ISSUER);
        if (issuer == null) {
            return null;
        }
        for (Field<String> required : List.of(Keys.CLIENT_ID, Keys.REDIRECT_URI, Keys.ROLE_GROUPS)) {
            if (values.get(required) == null) {
                values.reject(required.name(), "required with oidc.issuer");
            }
        }
        Map<String, String> roles = Accounts.parseRoleGroups(values.get(Keys.ROLE_GROUPS),
                reason -> values.reject(Keys.ROLE_GROUPS.name(), reason));
        return new OidcConfig(issuer, values.get(Keys.CLIENT_ID), values.get(Keys.CLIENT_SECRET), values.get(Keys.REDIRECT_URI),
                values.get(Keys.SCOPES), values.get(Keys.USERNAME_CLAIM), values.get(Keys.GROUPS_CLAIM), roles);
    }

    @Override
    public String toString() {
        return "OidcConfig[issuer=" + issuer + ", clientId=" + clientId + ", redirectUri=" + redirectUri + ", roleGroups=" + roleGroups + "]";
    }
}
