package io.pganalytics.schemas.family;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.DatabaseSample;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class MetricFamilyTest {

    @Test
    void databaseFamilyReadsItsRolesFromTheSchema() {
        MetricFamily database = MetricFamily.of(DatabaseSample.getClassSchema());

        assertThat(database.name()).isEqualTo("database");
        assertThat(database.seriesFields()).containsExactly("datid");
        assertThat(database.counterFields()).contains("xactCommit", "blkReadTimeMs", "sessions").doesNotContain("numbackends");
        assertThat(database.gaugeFields()).containsExactly("numbackends", "sizeBytes");
        assertThat(database.resetFields()).containsExactly("statsReset");
        assertThat(database.naturalKey()).containsExactly("targetId", "datid", "sampledAt");
        assertThat(database.rollupTopic(Topics.Resolution.ONE_HOUR)).isEqualTo("pga.rollups.database.1h");
    }

    @Test
    void metricsSchemaAddsDeltaAndRateBesideEveryCounter() {
        MetricFamily database = MetricFamilies.byName("database").orElseThrow();
        Schema metrics = database.metricsSchema();

        assertThat(metrics.getFullName()).isEqualTo("io.pganalytics.schemas.metrics.DatabaseMetrics");
        assertThat(metrics.getField("xactCommitDelta").schema().toString()).isEqualTo("[\"null\",\"long\"]");
        assertThat(metrics.getField("blkReadTimeMsDelta").schema().toString()).isEqualTo("[\"null\",\"double\"]");
        assertThat(metrics.getField("xactCommitPerSec").getProp(FieldRole.PROPERTY)).isEqualTo("rate");
        assertThat(metrics.getField("intervalSeconds")).isNotNull();
        assertThat(metrics.getField("baseline")).isNotNull();
        // the metrics schema must read the raw fields unchanged: every raw field is there with its type
        for (Schema.Field raw : database.rawSchema().getFields()) {
            assertThat(metrics.getField(raw.name()).schema()).isEqualTo(raw.schema());
        }
        assertThat(new Schema.Parser().parse(metrics.toString())).isEqualTo(metrics);
    }

    @Test
    void metricsSchemaReadsWhatTheRawSchemaWrote() {
        // Earlier versions put the raw record on pga.metrics.<family>: the registry must accept the derived one there.
        for (MetricFamily family : MetricFamilies.all()) {
            assertThat(org.apache.avro.SchemaCompatibility.checkReaderWriterCompatibility(family.metricsSchema(), family.rawSchema())
                    .getType()).as(family.name()).isEqualTo(org.apache.avro.SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        }
    }

    @Test
    void aFieldWithoutRoleIsNamed() {
        Schema schema = new Schema.Parser().parse("""
                {"type":"record","name":"XSample","namespace":"t","pga.family":"x","fields":[
                  {"name":"collectorId","type":"string"},{"name":"targetId","type":"string"},
                  {"name":"sampledAt","type":{"type":"long","logicalType":"timestamp-micros"}},
                  {"name":"calls","type":"long"}]}""");

        assertThatThrownBy(() -> MetricFamily.of(schema))
                .hasMessage("t.XSample.calls: missing field property pga.role");
    }

    @Test
    void aStringCounterIsRefused() {
        Schema schema = new Schema.Parser().parse("""
                {"type":"record","name":"XSample","namespace":"t","pga.family":"x","fields":[
                  {"name":"collectorId","type":"string"},{"name":"targetId","type":"string"},
                  {"name":"sampledAt","type":{"type":"long","logicalType":"timestamp-micros"}},
                  {"name":"calls","type":"string","pga.role":"counter"}]}""");

        assertThatThrownBy(() -> MetricFamily.of(schema))
                .hasMessage("t.XSample.calls: a counter must be long or double, got STRING");
    }

    @Test
    void everyFamilyFollowsTheConventions() {
        assertThat(MetricFamilies.all()).isNotEmpty();
        assertThat(MetricFamilies.all()).extracting(MetricFamily::name).doesNotHaveDuplicates();
    }
}
