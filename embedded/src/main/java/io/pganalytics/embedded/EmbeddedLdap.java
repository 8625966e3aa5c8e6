package io.pganalytics.embedded;

import com.unboundid.ldap.listener.InMemoryDirectoryServer;
import com.unboundid.ldap.listener.InMemoryDirectoryServerConfig;
import com.unboundid.ldap.listener.InMemoryListenerConfig;
import com.unboundid.ldap.listener.SelfSignedCertificateGenerator;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.util.ObjectPair;
import com.unboundid.util.ssl.KeyStoreKeyManager;
import com.unboundid.util.ssl.SSLUtil;
import com.unboundid.util.ssl.TrustAllTrustManager;
import java.io.File;
import java.net.InetAddress;
import java.nio.file.Path;

/**
 * A real LDAP directory in-process (UnboundID's {@link InMemoryDirectoryServer}) for tests of LDAP sign-in: one plain
 * listener that offers StartTLS, and one LDAPS listener, both with a self-signed certificate whose key store doubles as
 * the clients' trust store ({@link #trustStore()}).
 */
public final class EmbeddedLdap implements AutoCloseable {

    private static final String HOST = "127.0.0.1";
    private final InMemoryDirectoryServer server;
    private final Path trustStore;
    private final String trustStorePassword;

    private EmbeddedLdap(InMemoryDirectoryServer server, Path trustStore, String trustStorePassword) {
        this.server = server;
        this.trustStore = trustStore;
        this.trustStorePassword = trustStorePassword;
    }

    /** A directory with base DN {@code baseDn} (e.g. {@code dc=example,dc=com}), its root entry made, no schema checks. */
    public static EmbeddedLdap start(String baseDn) {
        try {
            ObjectPair<File, char[]> keyStore = SelfSignedCertificateGenerator.generateTemporarySelfSignedCertificate(
                    "pganalytics-embedded-ldap", "PKCS12");
            SSLUtil serverSsl = new SSLUtil(new KeyStoreKeyManager(keyStore.getFirst(), keyStore.getSecond(), "PKCS12", null),
                    new TrustAllTrustManager());
            InMemoryDirectoryServerConfig config = new InMemoryDirectoryServerConfig(baseDn);
            config.setSchema(null);
            InetAddress address = InetAddress.getByName(HOST);
            config.setListenerConfigs(
                    InMemoryListenerConfig.createLDAPConfig("ldap", address, 0, serverSsl.createSSLSocketFactory()),
                    InMemoryListenerConfig.createLDAPSConfig("ldaps", address, 0, serverSsl.createSSLServerSocketFactory(), null));
            InMemoryDirectoryServer server = new InMemoryDirectoryServer(config);
            server.add("dn: " + baseDn, "objectClass: top", "objectClass: domain", "dc: " + baseDn.split(",")[0].substring(3));
            server.startListening();
            return new EmbeddedLdap(server, keyStore.getFirst().toPath(), new String(keyStore.getSecond()));
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the embedded LDAP directory: " + e.getMessage(), e);
        }
    }

    /** {@code ldap://127.0.0.1:<port>}: plain, with StartTLS offered. */
    public String ldapUrl() {
        return "ldap://" + HOST + ":" + server.getListenPort("ldap");
    }

    /** {@code ldaps://127.0.0.1:<port>}: TLS from the first byte. */
    public String ldapsUrl() {
        return "ldaps://" + HOST + ":" + server.getListenPort("ldaps");
    }

    /** A PKCS#12 store holding the server's certificate, for the clients to trust. */
    public Path trustStore() {
        return trustStore;
    }

    public String trustStorePassword() {
        return trustStorePassword;
    }

    /** Adds an entry given as LDIF lines ({@code dn: ...}, {@code attr: value}). */
    public void add(String... ldif) {
        try {
            server.add(ldif);
        } catch (LDAPException | com.unboundid.ldif.LDIFException e) {
            throw new IllegalArgumentException("cannot add " + ldif[0] + ": " + e.getMessage(), e);
        }
    }

    /** Deletes an entry. */
    public void delete(String dn) {
        try {
            server.delete(dn);
        } catch (LDAPException e) {
            throw new IllegalArgumentException("cannot delete " + dn + ": " + e.getMessage(), e);
        }
    }

    /** Adds {@code value} to {@code attribute} of an entry (e.g. a member to a group). */
    public void modifyAdd(String dn, String attribute, String value) {
        try {
            server.modify("dn: " + dn, "changetype: modify", "add: " + attribute, attribute + ": " + value);
        } catch (LDAPException | com.unboundid.ldif.LDIFException e) {
            throw new IllegalArgumentException("cannot modify " + dn + ": " + e.getMessage(), e);
        }
    }

    /** Removes {@code value} of {@code attribute} from an entry (e.g. a member from a group). */
    public void removeValue(String dn, String attribute, String value) {
        try {
            server.modify("dn: " + dn, "changetype: modify", "delete: " + attribute, attribute + ": " + value);
        } catch (LDAPException | com.unboundid.ldif.LDIFException e) {
            throw new IllegalArgumentException("cannot modify " + dn + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        server.shutDown(true);
    }
}
