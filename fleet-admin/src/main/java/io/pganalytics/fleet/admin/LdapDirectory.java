package io.pganalytics.fleet.admin;

import com.unboundid.ldap.sdk.BindResult;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPConnectionPool;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPURL;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.SimpleBindRequest;
import com.unboundid.ldap.sdk.StartTLSPostConnectProcessor;
import com.unboundid.util.ssl.SSLUtil;
import com.unboundid.util.ssl.TrustStoreTrustManager;
import java.security.GeneralSecurityException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * A user directory over LDAP (UnboundID SDK): the service account searches the user by name (the filter built by the
 * SDK, which escapes every value), the user's own password is checked by a bind as their DN, and their groups (nested
 * ones followed by searching groups that list a group as member) map to a role. Connections are pooled, TLS is LDAPS
 * or StartTLS with the configured trust store and host-name checks.
 */
final class LdapDirectory implements AutoCloseable {

    /** A user as the directory says now: their entry's DN and the highest role their groups grant. */
    record DirectoryUser(String name, String dn, String role) {
    }

    private static final int MAX_NESTING = 8;
    private final LdapConfig config;
    private final LDAPConnectionPool pool;

    LdapDirectory(LdapConfig config) {
        this.config = config;
        try {
            LDAPURL url = new LDAPURL(config.url());
            SSLUtil ssl = config.trustStore() == null ? new SSLUtil() : new SSLUtil(new TrustStoreTrustManager(
                    config.trustStore().toFile(), config.trustStorePassword() == null ? null : config.trustStorePassword().toCharArray(),
                    null, true));
            LDAPConnectionOptions options = new LDAPConnectionOptions();
            options.setConnectTimeoutMillis(5_000);
            options.setResponseTimeoutMillis(10_000);
            options.setSSLSocketVerifier(new com.unboundid.util.ssl.HostNameSSLSocketVerifier(true));
            LDAPConnection connection;
            StartTLSPostConnectProcessor startTls = null;
            if (url.getScheme().equals("ldaps")) {
                connection = new LDAPConnection(ssl.createSSLSocketFactory(), options, url.getHost(), url.getPort());
            } else {
                connection = new LDAPConnection(options, url.getHost(), url.getPort());
                if (config.startTls()) {
                    SSLContext context = ssl.createSSLContext();
                    connection.processExtendedOperation(new com.unboundid.ldap.sdk.extensions.StartTLSExtendedRequest(context));
                    startTls = new StartTLSPostConnectProcessor(context);
                }
            }
            if (config.bindDn() != null) {
                connection.bind(new SimpleBindRequest(config.bindDn(), config.bindPassword() == null ? "" : config.bindPassword()));
            }
            this.pool = new LDAPConnectionPool(connection, 1, config.poolSize(), startTls);
            pool.setRetryFailedOperationsDueToInvalidConnections(true);
        } catch (LDAPException | GeneralSecurityException e) {
            throw new ControlPlane.Unavailable("LDAP directory " + config.url() + ": " + e.getMessage(), e);
        }
    }

    java.time.Duration syncInterval() {
        return config.syncInterval();
    }

    /** The user of {@code name} when {@code password} is theirs and a mapped group grants them a role. */
    Optional<DirectoryUser> authenticate(String name, String password) {
        // An empty password would make a simple bind "unauthenticated" (RFC 4513 §5.1.2), which many servers accept.
        if (password == null || password.isEmpty()) {
            return Optional.empty();
        }
        Optional<SearchResultEntry> entry = findUser(name);
        if (entry.isEmpty()) {
            return Optional.empty();
        }
        try {
            BindResult bind = pool.bindAndRevertAuthentication(new SimpleBindRequest(entry.get().getDN(), password));
            if (bind.getResultCode() != ResultCode.SUCCESS) {
                return Optional.empty();
            }
        } catch (LDAPException e) {
            if (e.getResultCode() == ResultCode.INVALID_CREDENTIALS || e.getResultCode() == ResultCode.UNWILLING_TO_PERFORM) {
                return Optional.empty();
            }
            throw unavailable(e);
        }
        return withRole(name, entry.get().getDN());
    }

    /** The user of {@code name} as the directory has them now, without their password: what the sync checks. */
    Optional<DirectoryUser> lookup(String name) {
        return findUser(name).flatMap(entry -> withRole(name, entry.getDN()));
    }

    private Optional<SearchResultEntry> findUser(String name) {
        try {
            SearchResult result = pool.search(config.userBaseDn(), SearchScope.SUB,
                    Filter.createEqualityFilter(config.userAttribute(), name), "1.1");
            return result.getEntryCount() == 1 ? Optional.of(result.getSearchEntries().get(0)) : Optional.empty();
        } catch (LDAPException e) {
            if (e.getResultCode() == ResultCode.NO_SUCH_OBJECT) {
                return Optional.empty();
            }
            throw unavailable(e);
        }
    }

    private Optional<DirectoryUser> withRole(String name, String dn) {
        java.util.Map<String, String> normalised = new java.util.HashMap<>();
        config.roleGroups().forEach((role, group) -> normalised.put(role, normalise(group)));
        return Accounts.highestRole(normalised, groupsOf(dn)).map(role -> new DirectoryUser(name, dn, role));
    }

    /** The DNs (normalised) of every group {@code dn} is a member of, directly or through nested groups. */
    private Set<String> groupsOf(String dn) {
        Set<String> found = new HashSet<>();
        Deque<String> members = new ArrayDeque<>();
        members.add(dn);
        for (int depth = 0; depth < (config.nestedGroups() ? MAX_NESTING : 1) && !members.isEmpty(); depth++) {
            Deque<String> next = new ArrayDeque<>();
            for (String member : members) {
                try {
                    SearchResult result = pool.search(config.groupBaseDn(), SearchScope.SUB,
                            Filter.createEqualityFilter(config.memberAttribute(), member), "1.1");
                    for (SearchResultEntry group : result.getSearchEntries()) {
                        if (found.add(normalise(group.getDN()))) {
                            next.add(group.getDN());
                        }
                    }
                } catch (LDAPException e) {
                    throw unavailable(e);
                }
            }
            members = next;
        }
        return found;
    }

    private static String normalise(String dn) {
        try {
            return new com.unboundid.ldap.sdk.DN(dn).toNormalizedString();
        } catch (LDAPException e) {
            return dn.toLowerCase(java.util.Locale.ROOT);
        }
    }

    private ControlPlane.Unavailable unavailable(LDAPException e) {
        return new ControlPlane.Unavailable("LDAP directory " + config.url() + ": " + e.getResultCode() + " "
                + (e.getDiagnosticMessage() == null ? "" : e.getDiagnosticMessage()), e);
    }

    @Override
    public void close() {
        pool.close();
    }
}
