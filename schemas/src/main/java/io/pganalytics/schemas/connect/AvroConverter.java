package io.pganalytics.schemas.connect;

import io.pganalytics.schemas.registry.SchemaRegistryClient;
import io.pganalytics.schemas.serde.AvroDatum;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.util.Map;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.storage.Converter;

/**
 * A Kafka Connect {@link Converter} for Confluent's Avro wire format, configured as Confluent's
 * {@code io.confluent.connect.avro.AvroConverter} is ({@code value.converter.schema.registry.url}, …),
 * so that sink connectors read our topics as {@code Struct}s and source connectors write them.
 */
public final class AvroConverter implements Converter {

    private final AvroConnectData data = new AvroConnectData();
    private AvroSerializer<GenericContainer> serializer;
    private AvroDeserializer<Object> deserializer;

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // Connect strips the "value.converter." (or "key.converter.") prefix before calling us.
        AvroSerdeConfig config = AvroSerdeConfig.from(configs);
        SchemaRegistryClient client = config.newClient();
        this.serializer = new AvroSerializer<>(client, config, isKey);
        this.deserializer = new AvroDeserializer<>(client, false);
    }

    @Override
    public byte[] fromConnectData(String topic, Schema schema, Object value) {
        if (value == null) {
            return null;
        }
        if (schema == null) {
            throw new DataException("AvroConverter needs a Connect schema to write " + topic + " (schemaless values are not supported)");
        }
        try {
            org.apache.avro.Schema avro = data.toAvroSchema(schema);
            return serializer.serializeDatum(topic, avro, data.toAvroValue(schema, avro, value));
        } catch (SerializationException | ClassCastException e) {
            throw new DataException("cannot convert a " + schema.type() + " for " + topic + " to Avro: " + e.getMessage(), e);
        }
    }

    /**
     * The Connect schema this converter gives values written with {@code avro}: for consumers that decode the Avro
     * body themselves (the metrics sink) yet must describe it exactly as the converter would.
     */
    public Schema toConnectSchema(org.apache.avro.Schema avro) {
        return data.toConnectSchema(avro);
    }

    @Override
    public SchemaAndValue toConnectData(String topic, byte[] value) {
        if (value == null) {
            return SchemaAndValue.NULL;
        }
        try {
            AvroDatum datum = deserializer.deserializeWithSchema(topic, value);
            Schema schema = data.toConnectSchema(datum.schema());
            return new SchemaAndValue(schema, data.toConnectValue(schema, datum.schema(), datum.value()));
        } catch (SerializationException e) {
            throw new DataException("cannot convert " + topic + " from Avro: " + e.getMessage(), e);
        }
    }
}
