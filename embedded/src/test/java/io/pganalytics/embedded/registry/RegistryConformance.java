package io.pganalytics.embedded.registry;

import static io.pganalytics.embedded.registry.RegistryHttp.body;
import static io.pganalytics.embedded.registry.RegistryHttp.bodyWithReference;
import static io.pganalytics.embedded.registry.RegistryHttp.level;
import static io.pganalytics.embedded.registry.RegistryHttp.record;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pganalytics.embedded.registry.RegistryHttp.Answer;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Confluent Schema Registry's REST API as its documentation and its server define it, spoken over raw HTTP: the
 * contract every way of running our registry must honour. Subclasses say which registry answers (one instance, or
 * the follower of a cluster that forwards every write); each test uses its own subjects.
 */
abstract class RegistryConformance {

    static final String A = record("Chain", """
            {"name": "a", "type": "int"}, {"name": "b", "type": "int", "default": 0}""");
    /** A without b: readers of A fill b's default, readers of B ignore it. */
    static final String B = record("Chain", """
            {"name": "a", "type": "int"}""");
    /** b back as a string with a default: compatible with B both ways, with A in neither. */
    static final String C = record("Chain", """
            {"name": "a", "type": "int"}, {"name": "b", "type": "string", "default": ""}""");
    /** A plus a required field: new readers cannot read A (not BACKWARD), A's readers ignore it (FORWARD). */
    static final String D = record("Chain", """
            {"name": "a", "type": "int"}, {"name": "b", "type": "int", "default": 0}, {"name": "c", "type": "int"}""");
    /** A without its required a: new readers ignore it (BACKWARD), A's readers miss it (not FORWARD). */
    static final String E = record("Chain", """
            {"name": "b", "type": "int", "default": 0}""");

    /** The registry under test. */
    abstract RegistryHttp registry();

    @Test
    void aRegisteredSchemaIsServedByEveryReadEndpoint() {
        RegistryHttp r = registry();
        int id = r.register("read-value", A);

        assertThat(r.post("/subjects/read-value", body(A)).ok().json().path("id").asInt()).isEqualTo(id);
        JsonNode latest = r.get("/subjects/read-value/versions/latest").ok().json();
        assertThat(latest.path("subject").asText()).isEqualTo("read-value");
        assertThat(latest.path("version").asInt()).isEqualTo(1);
        assertThat(latest.path("id").asInt()).isEqualTo(id);
        assertThat(r.get("/subjects/read-value/versions/1").ok().json()).isEqualTo(latest);
        assertThat(r.get("/subjects/read-value/versions/-1").ok().json()).isEqualTo(latest);
        String schema = latest.path("schema").asText();
        assertThat(r.get("/subjects/read-value/versions/1/schema").ok().body()).isEqualTo(schema);
        assertThat(r.get("/schemas/ids/" + id).ok().json().path("schema").asText()).isEqualTo(schema);
        assertThat(r.get("/schemas/ids/" + id + "/schema").ok().body()).isEqualTo(schema);
        assertThat(r.get("/schemas/ids/" + id + "/subjects").ok().json().toString()).contains("\"read-value\"");
        assertThat(r.get("/schemas/ids/" + id + "/versions").ok().json().toString())
                .contains("{\"subject\":\"read-value\",\"version\":1}");
        assertThat(r.get("/subjects").ok().json().toString()).contains("\"read-value\"");
        assertThat(r.get("/subjects/read-value/versions").ok().json().toString()).isEqualTo("[1]");
        assertThat(r.get("/subjects/read-value/versions/1/referencedby").ok().json().toString()).isEqualTo("[]");
        assertThat(r.get("/schemas/types").ok().json().toString()).isEqualTo("[\"AVRO\"]");
    }

    @Test
    void idsAreGlobalAndAKnownSchemaGetsItsIdBack() {
        RegistryHttp r = registry();
        int first = r.register("ids-one-value", B);
        int again = r.register("ids-one-value", B.replace(" ", ""));
        int elsewhere = r.register("ids-two-value", B);
        int next = r.register("ids-two-value", C);

        assertThat(again).isEqualTo(first);
        assertThat(elsewhere).isEqualTo(first);
        assertThat(next).isGreaterThan(first);
        assertThat(r.get("/subjects/ids-two-value/versions").ok().json().toString()).isEqualTo("[1,2]");
    }

    @Test
    void everyConfluentMediaTypeIsAcceptedAndAnswered() {
        RegistryHttp r = registry();
        for (String type : List.of("application/vnd.schemaregistry.v1+json", "application/vnd.schemaregistry+json",
                "application/json")) {
            Answer answer = r.send("POST", "/subjects/media-value/versions", body(A), type, type);
            assertThat(answer.status()).as(type).isEqualTo(200);
            assertThat(answer.contentType()).as(type).startsWith(type);
        }
        assertThat(r.send("GET", "/subjects", null, null, "*/*").contentType()).startsWith(RegistryHttp.V1);
        Answer unsupported = r.send("POST", "/subjects/media-value/versions", body(A), "text/plain", null);
        assertThat(unsupported.status()).isEqualTo(415);
        assertThat(unsupported.errorCode()).isEqualTo(415);
    }

    @Test
    void softDeletedVersionsHideButKeepTheirNumbersAndIds() {
        RegistryHttp r = registry();
        r.put("/config/soft-value", level("NONE")).ok();
        int idA = r.register("soft-value", A);
        int idB = r.register("soft-value", B);

        assertThat(r.delete("/subjects/soft-value/versions/2").ok().body()).isEqualTo("2");

        assertThat(r.get("/subjects/soft-value/versions").ok().json().toString()).isEqualTo("[1]");
        assertThat(r.get("/subjects/soft-value/versions?deleted=true").ok().json().toString()).isEqualTo("[1,2]");
        assertThat(r.get("/subjects/soft-value/versions?deletedOnly=true").ok().json().toString()).isEqualTo("[2]");
        assertThat(r.get("/subjects/soft-value/versions/2").errorCode()).isEqualTo(40402);
        assertThat(r.get("/subjects/soft-value/versions/2?deleted=true").ok().json().path("id").asInt())
                .isEqualTo(idB);
        assertThat(r.get("/subjects/soft-value/versions/latest").ok().json().path("version").asInt()).isEqualTo(1);
        assertThat(r.get("/schemas/ids/" + idB).status()).isEqualTo(200);
        assertThat(r.post("/subjects/soft-value", body(B)).errorCode()).isEqualTo(40403);
        assertThat(r.post("/subjects/soft-value?deleted=true", body(B)).ok().json().path("version").asInt())
                .isEqualTo(2);
        assertThat(r.delete("/subjects/soft-value/versions/2").errorCode()).isEqualTo(40406);
        assertThat(r.delete("/subjects/soft-value/versions/1?permanent=true").errorCode()).isEqualTo(40407);

        // The number is never reused; the same schema comes back under its old id as a new version.
        assertThat(r.register("soft-value", B)).isEqualTo(idB);
        assertThat(r.get("/subjects/soft-value/versions").ok().json().toString()).isEqualTo("[1,3]");

        assertThat(r.delete("/subjects/soft-value/versions/2?permanent=true").ok().body()).isEqualTo("2");
        assertThat(r.get("/subjects/soft-value/versions?deleted=true").ok().json().toString()).isEqualTo("[1,3]");
        assertThat(r.get("/schemas/ids/" + idA).status()).isEqualTo(200);
    }

    @Test
    void aSubjectIsSoftDeletedBeforeItCanBePermanentlyDeleted() {
        RegistryHttp r = registry();
        r.put("/config/gone-value", level("NONE")).ok();
        r.register("gone-value", A);
        int idE = r.register("gone-value", E);

        assertThat(r.delete("/subjects/gone-value?permanent=true").errorCode()).isEqualTo(40405);
        assertThat(r.delete("/subjects/gone-value").ok().json().toString()).isEqualTo("[1,2]");

        assertThat(r.get("/subjects").ok().json().toString()).doesNotContain("\"gone-value\"");
        assertThat(r.get("/subjects?deleted=true").ok().json().toString()).contains("\"gone-value\"");
        assertThat(r.get("/subjects?deletedOnly=true").ok().json().toString()).contains("\"gone-value\"");
        assertThat(r.get("/subjects/gone-value/versions").errorCode()).isEqualTo(40401);
        // As in Confluent, a soft-deleted subject loses its own settings.
        assertThat(r.get("/config/gone-value").errorCode()).isEqualTo(40408);
        assertThat(r.delete("/subjects/gone-value").errorCode()).isEqualTo(40404);
        assertThat(r.get("/schemas/ids/" + idE).status()).isEqualTo(200);

        assertThat(r.delete("/subjects/gone-value?permanent=true").ok().json().toString()).isEqualTo("[1,2]");
        assertThat(r.get("/subjects?deleted=true").ok().json().toString()).doesNotContain("\"gone-value\"");
        assertThat(r.delete("/subjects/gone-value").errorCode()).isEqualTo(40401);

        // After a permanent delete the subject starts again from version 1.
        r.register("gone-value", E);
        assertThat(r.get("/subjects/gone-value/versions").ok().json().toString()).isEqualTo("[1]");
    }

    @Test
    void subjectsCanBeListedByPrefix() {
        RegistryHttp r = registry();
        r.register("prefix.one-value", A);
        r.register("prefix.two-value", A);
        r.register("other.prefix-value", A);

        assertThat(r.get("/subjects?subjectPrefix=prefix.").ok().json().toString())
                .isEqualTo("[\"prefix.one-value\",\"prefix.two-value\"]");
    }

    /** C after A and B; D after A; E after A: one chain that tells every level apart. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "NONE,                true,  true,  true",
            "BACKWARD,            true,  false, true",
            "BACKWARD_TRANSITIVE, false, false, true",
            "FORWARD,             true,  true,  false",
            "FORWARD_TRANSITIVE,  false, true,  false",
            "FULL,                true,  false, false",
            "FULL_TRANSITIVE,     false, false, false"})
    void everyCompatibilityLevelDecidesAsAvroSays(String level, boolean acceptsC, boolean acceptsD,
                                                  boolean acceptsE) {
        RegistryHttp r = registry();
        String prefix = "level-" + level.toLowerCase(Locale.ROOT);
        for (String kind : List.of("chain", "add", "drop")) {
            r.put("/config/" + prefix + "-" + kind, level(level)).ok();
            r.register(prefix + "-" + kind, A);
        }
        r.register(prefix + "-chain", B);

        assertRegistration(r, prefix + "-chain", C, acceptsC);
        assertRegistration(r, prefix + "-add", D, acceptsD);
        assertRegistration(r, prefix + "-drop", E, acceptsE);
    }

    private static void assertRegistration(RegistryHttp r, String subject, String schema, boolean accepted) {
        Answer answer = r.post("/subjects/" + subject + "/versions", body(schema));
        if (accepted) {
            assertThat(answer.status()).as(subject + ": " + answer.body()).isEqualTo(200);
        } else {
            assertThat(answer.status()).as(subject + ": " + answer.body()).isEqualTo(409);
            assertThat(answer.errorCode()).isEqualTo(40901);
        }
    }

    @Test
    void theSubjectLevelWinsOverTheGlobalOneWhichWinsOverTheDefault() {
        RegistryHttp r = registry();
        try {
            assertThat(r.get("/config").ok().json().path("compatibilityLevel").asText()).isEqualTo("BACKWARD");
            r.register("precedence-value", A);
            assertThat(r.get("/config/precedence-value").errorCode()).isEqualTo(40408);
            assertThat(r.get("/config/precedence-value?defaultToGlobal=true").ok().json()
                    .path("compatibilityLevel").asText()).isEqualTo("BACKWARD");

            assertThat(r.put("/config", level("forward")).ok().json().path("compatibility").asText())
                    .isEqualTo("FORWARD");
            assertThat(r.get("/config/precedence-value?defaultToGlobal=true").ok().json()
                    .path("compatibilityLevel").asText()).isEqualTo("FORWARD");
            assertThat(r.post("/subjects/precedence-value/versions", body(E)).status()).isEqualTo(409);

            r.put("/config/precedence-value", level("BACKWARD")).ok();
            assertThat(r.get("/config/precedence-value").ok().json().path("compatibilityLevel").asText())
                    .isEqualTo("BACKWARD");
            assertThat(r.post("/subjects/precedence-value/versions", body(D)).status()).isEqualTo(409);

            assertThat(r.delete("/config/precedence-value").ok().json().path("compatibilityLevel").asText())
                    .isEqualTo("BACKWARD");
            assertThat(r.post("/subjects/precedence-value/versions", body(D)).status()).isEqualTo(200);
            assertThat(r.delete("/config/precedence-value").errorCode()).isEqualTo(40408);
        } finally {
            assertThat(r.delete("/config").status()).isEqualTo(200);
        }
        assertThat(r.get("/config").ok().json().path("compatibilityLevel").asText()).isEqualTo("BACKWARD");
        assertThat(r.put("/config", level("SIDEWAYS")).errorCode()).isEqualTo(42203);
    }

    @Test
    void compatibilityCanBeTestedWithoutRegistering() {
        RegistryHttp r = registry();
        r.register("test-value", A);

        JsonNode verbose = r.post("/compatibility/subjects/test-value/versions/latest?verbose=true", body(D))
                .ok().json();
        assertThat(verbose.path("is_compatible").asBoolean()).isFalse();
        assertThat(verbose.path("messages").toString()).contains("c");
        JsonNode quiet = r.post("/compatibility/subjects/test-value/versions/1", body(D)).ok().json();
        assertThat(quiet.path("is_compatible").asBoolean()).isFalse();
        assertThat(quiet.has("messages")).isFalse();
        assertThat(r.post("/compatibility/subjects/test-value/versions/latest", body(E)).ok().json()
                .path("is_compatible").asBoolean()).isTrue();
        assertThat(r.post("/compatibility/subjects/test-value/versions", body(E)).ok().json()
                .path("is_compatible").asBoolean()).isTrue();
        assertThat(r.post("/compatibility/subjects/nothing-here/versions/latest", body(D)).ok().json()
                .path("is_compatible").asBoolean()).isTrue();
        assertThat(r.post("/compatibility/subjects/test-value/versions/7", body(D)).errorCode()).isEqualTo(40402);
        assertThat(r.get("/subjects/test-value/versions").ok().json().toString()).isEqualTo("[1]");
    }

    @Test
    void modesStopWritesOrLetImportsChooseTheirIds() {
        RegistryHttp r = registry();
        int before = r.register("mode-value", A);
        try {
            assertThat(r.get("/mode").ok().json().path("mode").asText()).isEqualTo("READWRITE");
            assertThat(r.put("/mode", "{\"mode\": \"READONLY\"}").ok().json().path("mode").asText())
                    .isEqualTo("READONLY");
            Answer refused = r.post("/subjects/mode-value/versions", body(B));
            assertThat(refused.status()).isEqualTo(422);
            assertThat(refused.errorCode()).isEqualTo(42205);
            assertThat(r.get("/subjects/mode-value/versions").ok().json().toString()).isEqualTo("[1]");

            assertThat(r.put("/mode", "{\"mode\": \"IMPORT\"}").errorCode()).isEqualTo(42205);
            r.put("/mode?force=true", "{\"mode\": \"IMPORT\"}").ok();
            int imported = before + 1000;
            Answer importedAnswer = r.post("/subjects/imported-value/versions",
                    "{\"schema\": " + RegistryHttp.JSON.valueToTree(C) + ", \"id\": " + imported
                            + ", \"version\": 5}");
            assertThat(importedAnswer.ok().json().path("id").asInt()).isEqualTo(imported);
            assertThat(r.get("/subjects/imported-value/versions").ok().json().toString()).isEqualTo("[5]");
            assertThat(r.put("/mode", "{\"mode\": \"SIDEWAYS\"}").errorCode()).isEqualTo(42204);
        } finally {
            r.put("/mode", "{\"mode\": \"READWRITE\"}").ok();
        }
        // Ids continue after the highest, imported ones included.
        assertThat(r.register("mode-after-value", record("AfterImport", "{\"name\": \"x\", \"type\": \"long\"}")))
                .isGreaterThan(before + 1000);

        r.put("/mode/mode-value", "{\"mode\": \"READONLY\"}").ok();
        assertThat(r.post("/subjects/mode-value/versions", body(B)).errorCode()).isEqualTo(42205);
        assertThat(r.get("/mode/mode-value").ok().json().path("mode").asText()).isEqualTo("READONLY");
        assertThat(r.delete("/mode/mode-value").ok().json().path("mode").asText()).isEqualTo("READONLY");
        assertThat(r.get("/mode/mode-value").errorCode()).isEqualTo(40409);
        assertThat(r.get("/mode/mode-value?defaultToGlobal=true").ok().json().path("mode").asText())
                .isEqualTo("READWRITE");
    }

    @Test
    void schemasReferenceNamedTypesOfOtherSubjects() {
        RegistryHttp r = registry();
        String address = """
                {"type": "record", "name": "Address", "namespace": "io.pganalytics.ref",
                 "fields": [{"name": "street", "type": "string"}]}""";
        String customer = """
                {"type": "record", "name": "Customer", "namespace": "io.pganalytics.ref",
                 "fields": [{"name": "name", "type": "string"}, {"name": "home", "type": "io.pganalytics.ref.Address"}]}""";
        int addressId = r.register("ref-address", address);

        Answer registered = r.post("/subjects/ref-customer-value/versions",
                bodyWithReference(customer, "io.pganalytics.ref.Address", "ref-address", 1));
        int customerId = registered.ok().json().path("id").asInt();

        assertThat(customerId).isNotEqualTo(addressId);
        JsonNode version = r.get("/subjects/ref-customer-value/versions/1").ok().json();
        assertThat(version.path("references").get(0).path("subject").asText()).isEqualTo("ref-address");
        assertThat(version.path("schema").asText()).doesNotContain("street");
        assertThat(r.get("/schemas/ids/" + customerId).ok().json().path("references").size()).isEqualTo(1);
        assertThat(r.post("/subjects/ref-customer-value",
                bodyWithReference(customer, "io.pganalytics.ref.Address", "ref-address", 1)).ok().json()
                .path("id").asInt()).isEqualTo(customerId);
        assertThat(r.get("/subjects/ref-address/versions/1/referencedby").ok().json().toString())
                .isEqualTo("[" + customerId + "]");
        assertThat(r.delete("/subjects/ref-address/versions/1").errorCode()).isEqualTo(42206);
        assertThat(r.delete("/subjects/ref-address").errorCode()).isEqualTo(42206);
        assertThat(r.post("/subjects/ref-customer-value/versions", body(customer)).errorCode()).isEqualTo(42201);
        assertThat(r.post("/subjects/ref-broken-value/versions",
                bodyWithReference(customer, "io.pganalytics.ref.Address", "ref-address", 9)).errorCode())
                .isEqualTo(42201);
    }

    @Test
    void badRequestsGetAClientErrorWithConfluentsCodeNeverA500() {
        RegistryHttp r = registry();
        r.register("errors-value", A);

        assertThat(r.post("/subjects/errors-value/versions", "{\"schema\": ").status()).isEqualTo(400);
        assertThat(r.post("/subjects/errors-value/versions", "[1]").status()).isEqualTo(400);
        assertThat(r.post("/subjects/errors-value/versions", "").status()).isEqualTo(400);
        assertThat(r.post("/subjects/errors-value/versions", "{}").errorCode()).isEqualTo(42201);
        assertThat(r.post("/subjects/errors-value/versions", body("{\"type\": \"strin\"}")).errorCode())
                .isEqualTo(42201);
        assertThat(r.post("/subjects/errors-value/versions",
                "{\"schema\": \"\\\"int\\\"\", \"schemaType\": \"PROTOBUF\"}").errorCode()).isEqualTo(42201);
        assertThat(r.post("/subjects/errors-value/versions", "{\"schema\": \"\\\"int\\\"\", \"references\": 3}")
                .errorCode()).isEqualTo(42201);
        assertThat(r.put("/config/errors-value", "{\"compatibility\": 7}").errorCode()).isEqualTo(42203);
        assertThat(r.put("/config", "not json").status()).isEqualTo(400);
        assertThat(r.get("/subjects/errors-value/versions/0").errorCode()).isEqualTo(42202);
        assertThat(r.get("/subjects/errors-value/versions/two").errorCode()).isEqualTo(42202);
        assertThat(r.get("/subjects/errors-value/versions/9").errorCode()).isEqualTo(40402);
        assertThat(r.get("/subjects/no-such-value/versions/1").errorCode()).isEqualTo(40401);
        assertThat(r.get("/schemas/ids/999999").errorCode()).isEqualTo(40403);
        assertThat(r.get("/no/such/path").status()).isEqualTo(404);
        assertThat(r.send("PATCH", "/subjects", "{}", RegistryHttp.V1, null).status()).isEqualTo(405);
        String huge = body(record("Huge", "{\"name\": \"x\", \"type\": \"int\", \"doc\": \""
                + "x".repeat(5 * 1024 * 1024) + "\"}"));
        Answer tooLarge = r.post("/subjects/errors-value/versions", huge);
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(tooLarge.errorCode()).isEqualTo(413);
    }
}
