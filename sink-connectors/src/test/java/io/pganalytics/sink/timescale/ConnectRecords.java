package io.pganalytics.sink.timescale;

import io.pganalytics.schemas.connect.AvroConverter;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.util.Map;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * Records as a Connect worker hands them to the sink: Avro serialized in the wire format against an in-memory
 * registry, then converted by our {@link AvroConverter}, exactly the path of {@code value.converter}.
 */
final class ConnectRecords {

    private final AvroSerializer<GenericContainer> serializer = new AvroSerializer<>();
    private final AvroConverter converter = new AvroConverter();

    ConnectRecords(String registryScope) {
        Map<String, Object> config = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://" + registryScope);
        serializer.configure(config, false);
        converter.configure(config, false);
    }

    SchemaAndValue connectData(String topic, GenericContainer value) {
        return converter.toConnectData(topic, serializer.serialize(topic, value));
    }

    SinkRecord record(String topic, int partition, long offset, GenericContainer value) {
        SchemaAndValue data = connectData(topic, value);
        return new SinkRecord(topic, partition, null, null, data.schema(), data.value(), offset);
    }
}
