package io.pganalytics.api.accounts;

import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.Values;
import io.pganalytics.fleet.admin.Accounts;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * SAML 2.0 sign-in (docs/security.md): the identity provider, this API as service provider, and which groups make
 * which role. Off when {@code saml.idp.entity.id} is not set.
 *
 * @param idpEntityId     the identity provider's entity id, required as the assertion's issuer
 * @param idpCertificate  PEM file of the certificate the provider signs with
 * @param idpSsoUrl       the provider's single sign-on URL (HTTP-Redirect), for the SP metadata and SP-initiated sign-in
 * @param spEntityId      this API's entity id: the audience assertions must name
 * @param acsUrl          {@code https://<api>/api/v1/auth/saml/acs}: the recipient and destination assertions must name
 * @param usernameAttribute the attribute naming the user; null: the NameID
 * @param groupsAttribute the attribute listing the user's groups
 * @param roleGroups      role → the group that grants it; the highest role wins
 */
public record SamlConfig(String idpEntityId, Path idpCertificate, String idpSsoUrl, String spEntityId, String acsUrl,
                         String usernameAttribute, String groupsAttribute, Map<String, String> roleGroups) {

    public SamlConfig {
        roleGroups = Map.copyOf(roleGroups);
    }

    /** Every key of SAML sign-in, declared once. */
    public static final class Keys {
        private Keys() {
        }

        public static final Field<String> IDP_ENTITY_ID = Field.string("saml.idp.entity.id").optional()
                .withDoc("the SAML identity provider's entity id (the assertions' issuer); unset: no SAML sign-in");
        public static final Field<String> IDP_CERTIFICATE = Field.string("saml.idp.certificate").optional()
                .withDoc("PEM file of the certificate the identity provider signs assertions with; required with `saml.idp.entity.id`");
        public static final Field<String> IDP_SSO_URL = Field.string("saml.idp.sso.url").optional()
                .withDoc("the identity provider's single sign-on URL; required with `saml.idp.entity.id`");
        public static final Field<String> SP_ENTITY_ID = Field.string("saml.sp.entity.id").optional()
                .withDoc("this API's entity id, the audience assertions must name; required with `saml.idp.entity.id`");
        public static final Field<String> ACS_URL = Field.string("saml.acs.url").optional()
                .withDoc("`https://<api>/api/v1/auth/saml/acs`: where the provider posts, the recipient assertions must name");
        public static final Field<String> USERNAME_ATTRIBUTE = Field.string("saml.username.attribute").optional()
                .withDoc("the attribute that is the user's name; unset: the subject's NameID");
        public static final Field<String> GROUPS_ATTRIBUTE = Field.string("saml.groups.attribute").withDefault("groups")
                .withDoc("the attribute listing the user's groups");
        public static final Field<String> ROLE_GROUPS = Field.string("saml.role.groups").optional()
                .withDoc("`role=group` pairs separated by `;`; the highest role wins; a user in none of them cannot sign in");
    }

    /** The SAML keys, each overridden by {@code PGA_<KEY>}. */
    public static final Fields FIELDS = Fields.of("PGA_", Keys.IDP_ENTITY_ID, Keys.IDP_CERTIFICATE, Keys.IDP_SSO_URL,
            Keys.SP_ENTITY_ID, Keys.ACS_URL, Keys.USERNAME_ATTRIBUTE, Keys.GROUPS_ATTRIBUTE, Keys.ROLE_GROUPS);

    /** The configuration {@code values} describe, or null when {@code saml.idp.entity.id} is not set. */
    public static SamlConfig from(Values values) {
        String idp = values.get(Keys.IDP_ENTITY_ID);
        if (idp == null) {
            return null;
        }
        for (Field<String> required : List.of(Keys.IDP_CERTIFICATE, Keys.IDP_SSO_URL, Keys.SP_ENTITY_ID, Keys.ACS_URL, Keys.ROLE_GROUPS)) {
            if (values.get(required) == null) {
                values.reject(required.name(), "required with saml.idp.entity.id");
            }
        }
        Map<String, String> roles = Accounts.parseRoleGroups(values.get(Keys.ROLE_GROUPS),
                reason -> values.reject(Keys.ROLE_GROUPS.name(), reason));
        String certificate = values.get(Keys.IDP_CERTIFICATE);
        return new SamlConfig(idp, certificate == null ? null : Path.of(certificate), values.get(Keys.IDP_SSO_URL),
                values.get(Keys.SP_ENTITY_ID), values.get(Keys.ACS_URL), values.get(Keys.USERNAME_ATTRIBUTE),
                values.get(Keys.GROUPS_ATTRIBUTE), roles);
    }
}
