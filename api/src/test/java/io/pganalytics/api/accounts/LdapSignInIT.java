package io.pganalytics.api.accounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static io.pganalytics.api.accounts.ApiCalls.call;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.fleet.FleetApi;
import io.pganalytics.embedded.EmbeddedLdap;
import io.pganalytics.fleet.admin.ControlPlane;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.fleet.admin.LdapConfig;
import io.pganalytics.testkit.ContractTopics;
import io.pganalytics.testkit.EmbeddedStack;
import io.pganalytics.testkit.TestStack;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LDAP sign-in against a real directory (UnboundID's in-memory server) over LDAPS on one replica and StartTLS on the
 * other, both trusting the directory's certificate from a trust store: roles from nested groups, every refusal, the
 * sync that disables users who left, and names built to inject into a filter.
 */
@EmbeddedStack(registry = true, postgres = true)
@ContractTopics("pga.*")
class LdapSignInIT {

    static final String DATABASE = "pganalytics_ldap";
    static final String BASE = "dc=example,dc=com";
    static final String PEOPLE = "ou=people," + BASE;
    static final String GROUPS = "ou=groups," + BASE;
    static final String SERVICE_PASSWORD = "service account secret";
    static final String ALICE_PASSWORD = "alice's directory password";
    static final String BOB_PASSWORD = "bob's directory password";
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    static EmbeddedLdap ldap;
    static ControlPlaneConfig control;
    static ControlPlane fleetA;
    static ControlPlane fleetB;
    static ApiServer ldaps;
    static ApiServer startTls;

    @BeforeAll
    static void start(TestStack stack) {
        ldap = EmbeddedLdap.start(BASE);
        ldap.add("dn: " + PEOPLE, "objectClass: organizationalUnit", "ou: people");
        ldap.add("dn: " + GROUPS, "objectClass: organizationalUnit", "ou: groups");
        ldap.add("dn: cn=pganalytics," + BASE, "objectClass: person", "cn: pganalytics", "sn: service",
                "userPassword: " + SERVICE_PASSWORD);
        person("alice", ALICE_PASSWORD);
        person("bob", BOB_PASSWORD);
        person("carol", "carol's directory password");
        group("team-dba", "uid=alice," + PEOPLE);
        group("pga-admins", "cn=team-dba," + GROUPS);
        group("pga-viewers", "uid=bob," + PEOPLE);
        group("other", "uid=carol," + PEOPLE);

        control = ApiCalls.controlPlane(stack, DATABASE, 4);
        fleetA = ControlPlanes.open(control.withLdap(ldapConfig(ldap.ldapsUrl(), false, true)), "ldap-it-a");
        fleetB = ControlPlanes.open(control.withLdap(ldapConfig(ldap.ldapUrl(), true, true)), "ldap-it-b");
        ApiConfig api = ApiCalls.api(control, 0);
        ldaps = FleetApi.start(api, fleetA);
        startTls = FleetApi.start(api, fleetB);
    }

    static LdapConfig ldapConfig(String url, boolean startTls, boolean trusted) {
        return new LdapConfig(url, startTls, trusted ? ldap.trustStore() : null, trusted ? ldap.trustStorePassword() : null,
                "cn=pganalytics," + BASE, SERVICE_PASSWORD, PEOPLE, "uid", GROUPS, "member", true,
                Map.of("admin", "cn=pga-admins," + GROUPS, "viewer", "cn=pga-viewers," + GROUPS), 2, Duration.ofMinutes(5));
    }

    static void person(String uid, String password) {
        ldap.add("dn: uid=" + uid + "," + PEOPLE, "objectClass: inetOrgPerson", "uid: " + uid, "cn: " + uid, "sn: " + uid,
                "userPassword: " + password);
    }

    static void group(String cn, String member) {
        ldap.add("dn: cn=" + cn + "," + GROUPS, "objectClass: groupOfNames", "cn: " + cn, "member: " + member);
    }

    @AfterAll
    static void stop() {
        ApiCalls.closeAll(ldaps, startTls, fleetA, fleetB, ldap);
    }

    static HttpResponse<String> login(ApiServer api, String name, String password) throws Exception {
        return call(api, "POST", "/api/v1/auth/login", null, JSON.writeValueAsString(Map.of("name", name, "password", password)));
    }

    static JsonNode me(ApiServer api, String token) throws Exception {
        HttpResponse<String> response = call(api, "GET", "/api/v1/auth/me", token, null);
        return response.statusCode() == 200 ? JSON.readTree(response.body()) : JSON.nullNode();
    }

    @Test
    void directoryUsersSignInOverLdapsAndStartTlsWithTheRoleOfTheirNestedGroups() throws Exception {
        HttpResponse<String> alice = login(ldaps, "alice", ALICE_PASSWORD);
        assertThat(alice.statusCode()).as(alice.body()).isEqualTo(200);
        String aliceToken = JSON.readTree(alice.body()).path("accessToken").asText();
        // alice is in team-dba, which is in pga-admins
        assertThat(me(startTls, aliceToken).path("role").asText()).isEqualTo("admin");
        HttpResponse<String> bob = login(startTls, "bob", BOB_PASSWORD);
        assertThat(bob.statusCode()).as(bob.body()).isEqualTo(200);
        assertThat(me(ldaps, JSON.readTree(bob.body()).path("accessToken").asText()).path("role").asText()).isEqualTo("viewer");
        // the directory owns their passwords
        assertThat(call(ldaps, "POST", "/api/v1/auth/password", aliceToken,
                "{\"currentPassword\":\"" + ALICE_PASSWORD + "\",\"newPassword\":\"a new password for alice\"}").statusCode())
                .isEqualTo(409);
        JsonNode users = JSON.readTree(call(ldaps, "GET", "/api/v1/users", aliceToken, null).body());
        assertThat(users.path("items").findValuesAsText("source")).contains("ldap");
    }

    @Test
    void wrongEmptyUnmappedAndUnknownAreRefusedAlike() throws Exception {
        for (Map.Entry<String, String> attempt : List.of(Map.entry("alice", "not alice's password"), Map.entry("alice", ""),
                Map.entry("carol", "carol's directory password"), Map.entry("nobody", ALICE_PASSWORD))) {
            HttpResponse<String> refused = login(ldaps, attempt.getKey(), attempt.getValue());
            assertThat(refused.statusCode()).as(attempt.toString()).isEqualTo(401);
            assertThat(JSON.readTree(refused.body()).path("message").asText()).isEqualTo("unknown user or wrong password");
        }
    }

    @Test
    void namesBuiltToInjectIntoTheFilterSignNobodyIn() throws Exception {
        for (String name : List.of("*", ")(uid=*", "alice)(|(uid=*", "alice\u0000", "al*", "alice)", "*)(objectClass=*")) {
            for (ApiServer replica : List.of(ldaps, startTls)) {
                assertThat(login(replica, name, ALICE_PASSWORD).statusCode()).as(name).isEqualTo(401);
            }
        }
        JsonNode users = JSON.readTree(call(ldaps, "GET", "/api/v1/users", JSON.readTree(login(ldaps, "alice", ALICE_PASSWORD).body())
                .path("accessToken").asText(), null).body());
        assertThat(users.path("items").findValuesAsText("name")).allMatch(n -> !n.contains("*") && !n.contains(")"));
    }

    @Test
    void theSyncDisablesUsersWhoLeftTheirGroupOrTheDirectoryAndEndsTheirSessions() throws Exception {
        person("dave", "dave's directory password");
        ldap.modifyAdd("cn=pga-viewers," + GROUPS, "member", "uid=dave," + PEOPLE);
        person("erin", "erin's directory password");
        ldap.modifyAdd("cn=pga-viewers," + GROUPS, "member", "uid=erin," + PEOPLE);
        String dave = JSON.readTree(login(ldaps, "dave", "dave's directory password").body()).path("accessToken").asText();
        String erin = JSON.readTree(login(startTls, "erin", "erin's directory password").body()).path("accessToken").asText();
        assertThat(me(startTls, dave).path("role").asText()).isEqualTo("viewer");
        ldap.removeValue("cn=pga-viewers," + GROUPS, "member", "uid=dave," + PEOPLE);
        ldap.delete("uid=erin," + PEOPLE);
        assertThat(fleetA.accounts().syncDirectory()).isGreaterThanOrEqualTo(2);
        await().atMost(Duration.ofSeconds(1)).until(() -> me(startTls, dave).isNull() && me(ldaps, erin).isNull());
        assertThat(login(ldaps, "dave", "dave's directory password").statusCode()).isEqualTo(401);
        // a second sync finds nothing more to do
        assertThat(fleetB.accounts().syncDirectory()).isZero();
    }

    @Test
    void aDirectoryWhoseCertificateIsNotTrustedIsNotUsed() {
        assertThatThrownBy(() -> ControlPlanes.open(control.withLdap(ldapConfig(ldap.ldapsUrl(), false, false)), "ldap-it-untrusted"))
                .isInstanceOf(ControlPlane.Unavailable.class).hasMessageContaining("LDAP directory");
        assertThatThrownBy(() -> ControlPlanes.open(control.withLdap(ldapConfig(ldap.ldapUrl(), true, false)), "ldap-it-untrusted"))
                .isInstanceOf(ControlPlane.Unavailable.class);
    }
}
