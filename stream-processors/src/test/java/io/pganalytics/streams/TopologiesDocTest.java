package io.pganalytics.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.streams.alert.AlertsTopology;
import io.pganalytics.streams.fleet.FleetLivenessTopology;
import io.pganalytics.streams.rollup.RollupsTopology;
import io.pganalytics.streams.ingest.IngestConfig;
import io.pganalytics.streams.ingest.IngestTopology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.streams.Topology;
import org.junit.jupiter.api.Test;

class TopologiesDocTest {

    private static final Map<String, String> SERDE = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://topologies-doc-test");

    /** docs/topologies.md shows each topology as {@code describe()} does; change one, paste the other. */
    @Test
    void docsShowEveryTopologyAsItIsBuilt() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "topologies.md"));
        // Shown for the database family: every other family adds the same sub-topology (ingest, rollups)
        // or topic (alerts), so the page does not change with each new family.
        List<MetricFamily> database = List.of(MetricFamilies.byName("database").orElseThrow());
        assertDescribed(doc, IngestTopology.APPLICATION_ID,
                IngestTopology.build(SERDE, IngestConfig.defaults(), () -> (c, r) -> { }, database));
        assertDescribed(doc, FleetLivenessTopology.APPLICATION_ID, FleetLivenessTopology.build(SERDE));
        assertDescribed(doc, RollupsTopology.APPLICATION_ID, RollupsTopology.build(SERDE, RollupsTopology.DEFAULT_GRACE, database));
        assertDescribed(doc, AlertsTopology.APPLICATION_ID, AlertsTopology.build(SERDE, AlertsTopology.DEFAULT_SWEEP_EVERY, database));
    }

    private static void assertDescribed(String doc, String applicationId, Topology topology) {
        // describe() ends some lines with a blank; editors strip it, so compare without.
        String block = "```\n" + topology.describe().toString().lines().map(String::stripTrailing)
                .collect(Collectors.joining("\n")).strip() + "\n```";
        assertThat(doc).as("docs/topologies.md, section %s, must contain:%n%s%n", applicationId, block)
                .contains("## `" + applicationId + "`")
                .contains(block);
    }
}
