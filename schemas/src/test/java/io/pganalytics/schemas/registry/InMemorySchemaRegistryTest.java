package io.pganalytics.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InMemorySchemaRegistryTest {

    private static final String SCOPE = "in-memory-registry-test";
    private static final Schema V1 = record("{\"name\":\"a\",\"type\":\"long\"}");

    @AfterEach
    void drop() {
        InMemorySchemaRegistry.drop(SCOPE);
    }

    @Test
    void addingAnOptionalFieldIsBackwardCompatible() {
        InMemorySchemaRegistry registry = InMemorySchemaRegistry.scope(SCOPE);
        registry.register("s-value", V1);
        Schema v2 = record("{\"name\":\"a\",\"type\":\"long\"},{\"name\":\"b\",\"type\":[\"null\",\"string\"],\"default\":null}");
        assertThat(registry.testCompatibility("s-value", "latest", v2, true)).isEqualTo(new CompatibilityResult(true, java.util.List.of()));
    }

    @Test
    void changingATypeIsIncompatibleAndVerboseSaysWhichField() {
        InMemorySchemaRegistry registry = InMemorySchemaRegistry.scope(SCOPE);
        registry.register("s-value", V1);
        Schema broken = record("{\"name\":\"a\",\"type\":\"string\"}");

        assertThat(registry.testCompatibility("s-value", "1", broken, true).messages())
                .containsExactly("Sample.a: type changed from long to string");
        assertThat(registry.testCompatibility("s-value", "latest", broken, false))
                .isEqualTo(new CompatibilityResult(false, java.util.List.of()));
    }

    @Test
    void anyFirstSchemaIsCompatibleWithAnEmptySubject() {
        assertThat(InMemorySchemaRegistry.scope(SCOPE).testCompatibility("new-value", "latest", V1, true).isCompatible()).isTrue();
    }

    @Test
    void mockUrlsShareOneRegistryPerScope() {
        SchemaRegistryClient a = SchemaRegistryClient.forUrl("mock://" + SCOPE);
        SchemaRegistryClient b = SchemaRegistryClient.forUrl("mock://" + SCOPE);
        int id = a.register("s-value", V1);
        assertThat(b.schemaById(id)).isEqualTo(V1);
        assertThat(b.latest("s-value")).isEqualTo(new RegisteredSchema("s-value", id, 1, V1));
    }

    private static Schema record(String fields) {
        return new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Sample\",\"fields\":[" + fields + "]}");
    }
}
