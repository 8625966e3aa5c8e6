package io.pganalytics.fleet.admin;

import io.pganalytics.config.Check;
import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.Values;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * LDAP sign-in (docs/security.md): where the directory is, how to trust it, how to find a user and their groups, and
 * which groups make which role. Off when {@code ldap.url} is not set.
 *
 * @param url              {@code ldap://host:389} (with {@code starttls}) or {@code ldaps://host:636}
 * @param startTls         upgrade a plain connection with StartTLS before anything is sent
 * @param trustStore       PKCS#12 or JKS store of the certificates to trust; null: the JVM's
 * @param trustStorePassword its password
 * @param bindDn           the service account that searches
 * @param bindPassword     its password
 * @param userBaseDn       where users are searched (subtree)
 * @param userAttribute    the attribute holding the login name ({@code uid}, {@code sAMAccountName})
 * @param groupBaseDn      where groups are searched (subtree)
 * @param memberAttribute  the group attribute naming its members by DN ({@code member}, {@code uniqueMember})
 * @param nestedGroups     follow groups that are members of groups (up to 8 levels)
 * @param roleGroups       role → the DN of the group that grants it; the highest role a user's groups grant wins
 * @param poolSize         connections to the directory
 * @param syncInterval     how often users signed in from the directory are checked against it
 */
public record LdapConfig(String url, boolean startTls, Path trustStore, String trustStorePassword, String bindDn,
                         String bindPassword, String userBaseDn, String userAttribute, String groupBaseDn,
                         String memberAttribute, boolean nestedGroups, Map<String, String> roleGroups, int poolSize,
                         Duration syncInterval) {

    public LdapConfig {
        roleGroups = Map.copyOf(roleGroups);
    }

    /** Every key of LDAP sign-in, declared once. */
    public static final class Keys {
        private Keys() {
        }

        public static final Field<String> URL = Field.string("ldap.url").optional()
                .withCheck(Check.matching("ldaps?://.+", "ldap://host:389 or ldaps://host:636"))
                .withDoc("the directory, `ldaps://host:636` or `ldap://host:389` with `ldap.starttls`; unset: no LDAP sign-in");
        public static final Field<Boolean> STARTTLS = Field.bool("ldap.starttls").withDefault(false)
                .withDoc("upgrade `ldap://` with StartTLS before binding");
        public static final Field<String> TRUST_STORE = Field.string("ldap.truststore.path").optional()
                .withDoc("PKCS#12 or JKS file of the certificates to trust (a private CA); unset: the JVM's trust store");
        public static final Field<String> TRUST_STORE_PASSWORD = Field.string("ldap.truststore.password").optional().secret()
                .withDoc("its password; never logged");
        public static final Field<String> BIND_DN = Field.string("ldap.bind.dn").optional()
                .withDoc("the service account that searches users and groups, e.g. `cn=pganalytics,ou=services,dc=example,dc=com`");
        public static final Field<String> BIND_PASSWORD = Field.string("ldap.bind.password").optional().secret()
                .withDoc("its password; never logged");
        public static final Field<String> USER_BASE_DN = Field.string("ldap.user.base.dn").optional()
                .withDoc("where users are searched, subtree; required with `ldap.url`");
        public static final Field<String> USER_ATTRIBUTE = Field.string("ldap.user.attribute").withDefault("uid")
                .withDoc("the attribute holding the login name (`sAMAccountName` on Active Directory)");
        public static final Field<String> GROUP_BASE_DN = Field.string("ldap.group.base.dn").optional()
                .withDoc("where groups are searched, subtree; required with `ldap.url`");
        public static final Field<String> MEMBER_ATTRIBUTE = Field.string("ldap.group.member.attribute").withDefault("member")
                .withDoc("the group attribute listing member DNs (`uniqueMember` for groupOfUniqueNames)");
        public static final Field<Boolean> NESTED_GROUPS = Field.bool("ldap.group.nested").withDefault(true)
                .withDoc("a member of a group that is a member of a mapped group gets its role (up to 8 levels)");
        public static final Field<String> ROLE_GROUPS = Field.string("ldap.role.groups").optional()
                .withDoc("`role=groupDN` pairs separated by `;`, e.g. `admin=cn=pga-admins,ou=groups,dc=example,dc=com;viewer=cn=staff,ou=groups,dc=example,dc=com`; "
                        + "the highest role wins; a user in none of them cannot sign in");
        public static final Field<Integer> POOL_SIZE = Field.integer("ldap.pool.size").withDefault(4)
                .withCheck(n -> n >= 1 && n <= 64 ? null : "expected 1-64, got " + n)
                .withDoc("connections to the directory");
        public static final Field<Integer> SYNC_SECONDS = Field.integer("ldap.sync.interval.seconds").withDefault(300)
                .withCheck(n -> n >= 5 && n <= 86_400 ? null : "expected 5-86400, got " + n)
                .withDoc("how often directory users are checked: one who left or lost every mapped group is disabled and "
                        + "their sessions end; a changed group changes the role");
    }

    /** The LDAP keys, each overridden by {@code PGA_<KEY>}. */
    public static final Fields FIELDS = Fields.of("PGA_", Keys.URL, Keys.STARTTLS, Keys.TRUST_STORE, Keys.TRUST_STORE_PASSWORD,
            Keys.BIND_DN, Keys.BIND_PASSWORD, Keys.USER_BASE_DN, Keys.USER_ATTRIBUTE, Keys.GROUP_BASE_DN, Keys.MEMBER_ATTRIBUTE,
            Keys.NESTED_GROUPS, Keys.ROLE_GROUPS, Keys.POOL_SIZE, Keys.SYNC_SECONDS);

    /** The configuration {@code values} describe, or null when {@code ldap.url} is not set; problems are rejected into {@code values}. */
    public static LdapConfig from(Values values) {
        String url = values.get(Keys.URL);
        if (url == null) {
            return null;
        }
        for (Field<String> required : java.util.List.of(Keys.USER_BASE_DN, Keys.GROUP_BASE_DN, Keys.ROLE_GROUPS)) {
            if (values.get(required) == null) {
                values.reject(required.name(), "required with ldap.url");
            }
        }
        Map<String, String> roles = Accounts.parseRoleGroups(values.get(Keys.ROLE_GROUPS),
                reason -> values.reject(Keys.ROLE_GROUPS.name(), reason));
        String trustStore = values.get(Keys.TRUST_STORE);
        return new LdapConfig(url, values.get(Keys.STARTTLS), trustStore == null ? null : Path.of(trustStore),
                values.get(Keys.TRUST_STORE_PASSWORD), values.get(Keys.BIND_DN), values.get(Keys.BIND_PASSWORD),
                values.get(Keys.USER_BASE_DN), values.get(Keys.USER_ATTRIBUTE), values.get(Keys.GROUP_BASE_DN),
                values.get(Keys.MEMBER_ATTRIBUTE), values.get(Keys.NESTED_GROUPS), roles, values.get(Keys.POOL_SIZE),
                Duration.ofSeconds(values.get(Keys.SYNC_SECONDS)));
    }

    @Override
    public String toString() {
        return "LdapConfig[url=" + url + ", startTls=" + startTls + ", bindDn=" + bindDn + ", userBaseDn=" + userBaseDn
                + ", groupBaseDn=" + groupBaseDn + ", roleGroups=" + roleGroups + "]";
    }
}
