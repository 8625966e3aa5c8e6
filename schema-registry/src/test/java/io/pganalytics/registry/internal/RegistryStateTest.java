package io.pganalytics.registry.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How ids and versions are assigned, and how records from the topic (ours or Confluent's) shape the state. */
class RegistryStateTest {

    private final RegistryState state = new RegistryState();

    @Test
    void idsStartAtOneAndVersionsStartAtOnePerSubject() {
        assertThat(accept("a", Schemas.V1)).isEqualTo(SchemaValue.avro("a", 1, 1, canonical(Schemas.V1)));
        assertThat(accept("b", Schemas.OTHER)).isEqualTo(SchemaValue.avro("b", 1, 2, canonical(Schemas.OTHER)));
        assertThat(accept("a", Schemas.V2_ADDS_OPTIONAL).id()).isEqualTo(3);
        assertThat(state.versions("a")).containsExactly(1, 2);
    }

    @Test
    void theSameSchemaUnderAnotherSubjectKeepsItsIdButGetsThatSubjectsNextVersion() {
        accept("a", Schemas.V1);
        accept("b", Schemas.OTHER);
        state.applyConfig(new StoreKey.ConfigKey("b"), new ConfigValue("b", CompatibilityLevel.NONE));

        SchemaValue reused = accept("b", Schemas.V1);

        assertThat(reused.id()).isEqualTo(1);
        assertThat(reused.version()).isEqualTo(2);
    }

    @Test
    void reRegisteringInTheSameSubjectFindsTheExistingVersionWhateverTheFormatting() {
        accept("a", Schemas.V1);
        accept("a", Schemas.V2_ADDS_OPTIONAL);
        String reformatted = Schemas.V1.replace("\n", "").replace(" ", "").replace("\"fields\"", " \"fields\" ");

        assertThat(state.plan("a", AvroSchemas.parse(reformatted)))
                .isEqualTo(new RegistryState.Registration.Existing(1, 1));
    }

    @Test
    void nextIdFollowsTheHighestIdInTheTopicEvenWithGaps() {
        // As a Confluent registry that has soft-deleted or hard-deleted schemas may leave it.
        state.applySchema(new StoreKey.SchemaKey("a", 1), SchemaValue.avro("a", 1, 7, canonical(Schemas.V1)));
        state.applySchema(new StoreKey.SchemaKey("a", 2), SchemaValue.avro("a", 2, 3,
                canonical(Schemas.V2_ADDS_OPTIONAL)));

        assertThat(accept("b", Schemas.OTHER).id()).isEqualTo(8);
    }

    @Test
    void incompatibleSchemaIsRefusedUnderTheSubjectsLevelNotTheGlobalOne() {
        accept("a", Schemas.V1);
        state.applyConfig(StoreKey.ConfigKey.global(), new ConfigValue(null, CompatibilityLevel.NONE));
        state.applyConfig(new StoreKey.ConfigKey("a"), new ConfigValue("a", CompatibilityLevel.BACKWARD));

        assertThat(state.plan("a", AvroSchemas.parse(Schemas.V2_ADDS_REQUIRED)))
                .isInstanceOfSatisfying(RegistryState.Registration.Incompatible.class,
                        refused -> assertThat(refused.level()).isEqualTo(CompatibilityLevel.BACKWARD));
        assertThat(state.plan("b", AvroSchemas.parse(Schemas.V2_ADDS_REQUIRED)))
                .isInstanceOf(RegistryState.Registration.Accepted.class);

        state.applyConfig(new StoreKey.ConfigKey("a"), null);
        assertThat(state.effectiveLevel("a")).isEqualTo(CompatibilityLevel.NONE);
        state.applyConfig(StoreKey.ConfigKey.global(), null);
        assertThat(state.effectiveLevel("a")).isEqualTo(CompatibilityLevel.BACKWARD);
    }

    @Test
    void softDeletedVersionsAreHiddenKeepTheirIdAndTheirNumberIsNotReused() {
        SchemaValue first = accept("a", Schemas.V1);
        SchemaValue second = accept("a", Schemas.V2_ADDS_OPTIONAL);
        state.applySchema(second.key(), new SchemaValue("a", 2, second.id(), null, List.of(), second.schema(), true));

        assertThat(state.versions("a")).containsExactly(1);
        assertThat(state.latest("a")).contains(first);
        assertThat(state.schemaById(second.id())).isPresent();
        SchemaValue again = accept("a", Schemas.V2_ADDS_OPTIONAL);
        assertThat(again.version()).isEqualTo(3);
        assertThat(again.id()).isEqualTo(second.id());
    }

    @Test
    void aTombstoneRemovesTheVersionAndAnIdNoLongerUsedButNeverLowersTheNextId() {
        SchemaValue only = accept("a", Schemas.V1);

        state.applySchema(only.key(), null);

        assertThat(state.subjects(false)).isEmpty();
        assertThat(state.schemaById(only.id())).isEmpty();
        assertThat(accept("a", Schemas.OTHER).id()).isEqualTo(2);
    }

    @Test
    void recordsThisRegistryCannotParseStillTakeTheirId() {
        state.applySchema(new StoreKey.SchemaKey("p", 1),
                new SchemaValue("p", 1, 5, "PROTOBUF", List.of(), "syntax = \"proto3\";", false));

        assertThat(state.schemaById(5)).isPresent();
        assertThat(accept("a", Schemas.V1).id()).isEqualTo(6);
        assertThat(state.plan("p", AvroSchemas.parse(Schemas.V1)))
                .isInstanceOf(RegistryState.Registration.Incompatible.class);
    }

    @Test
    void subjectsAreListedSortedAndOnlyWhileTheyHaveALiveVersion() {
        accept("zeta", Schemas.V1);
        accept("alpha", Schemas.OTHER);
        SchemaValue gone = accept("mid", Schemas.V1);
        state.applySchema(gone.key(), new SchemaValue("mid", 1, gone.id(), null, List.of(), gone.schema(), true));

        assertThat(state.subjects(false)).containsExactly("alpha", "zeta");
        assertThat(state.schemaCount()).isEqualTo(2);
    }

    /** Plans a registration that must be accepted and applies it, as the topic's reader would. */
    private SchemaValue accept(String subject, String schema) {
        RegistryState.Registration plan = state.plan(subject, AvroSchemas.parse(schema));
        assertThat(plan).isInstanceOf(RegistryState.Registration.Accepted.class);
        SchemaValue value = ((RegistryState.Registration.Accepted) plan).value();
        state.applySchema(value.key(), value);
        return value;
    }

    private static String canonical(String schema) {
        return AvroSchemas.parse(schema).canonical();
    }
}
