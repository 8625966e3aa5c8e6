package io.pganalytics.schemas.serde;

import io.pganalytics.schemas.registry.SchemaRegistryClient;
import io.pganalytics.schemas.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka serializer writing Avro records (generated or generic) in Confluent's wire format, with
 * the subject named after the topic ({@code <topic>-value} or {@code <topic>-key}).
 */
public final class AvroSerializer<T extends GenericContainer> implements Serializer<T> {

    private SchemaRegistryClient client;
    private AvroSerdeConfig config;
    private boolean isKey;
    private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();

    /** For Kafka's reflective construction; call {@link #configure} before use. */
    public AvroSerializer() {
    }

    /** A ready serializer over an existing client (shared clients share their caches). */
    public AvroSerializer(SchemaRegistryClient client, AvroSerdeConfig config, boolean isKey) {
        this.client = client;
        this.config = config;
        this.isKey = isKey;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.config = AvroSerdeConfig.from(configs);
        this.client = config.newClient();
        this.isKey = isKey;
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        Schema schema = record.getSchema();
        String subject = topic + (isKey ? "-key" : "-value");
        int id = schemaId(subject, schema);
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(WireFormat.MAGIC_BYTE);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writers.computeIfAbsent(schema, AvroSerializer::writerFor).write(record, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot write " + schema.getFullName() + " for " + subject + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    private int schemaId(String subject, Schema schema) {
        try {
            if (config.autoRegister()) {
                return client.register(subject, schema);
            }
            if (config.useLatestVersion()) {
                var latest = client.latest(subject);
                if (!latest.schema().equals(schema)) {
                    throw new SerializationException("record schema " + schema.getFullName()
                            + " differs from the latest version of " + subject + " (id " + latest.id()
                            + "); register it or turn off " + AvroSerdeConfig.USE_LATEST_VERSION);
                }
                return latest.id();
            }
            return client.idOf(subject, schema).orElseThrow(() -> new SerializationException(
                    "schema " + schema.getFullName() + " is not registered under " + subject
                            + " and " + AvroSerdeConfig.AUTO_REGISTER_SCHEMAS + " is false"));
        } catch (SchemaRegistryException e) {
            throw new SerializationException("schema registry refused " + subject + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static DatumWriter<Object> writerFor(Schema schema) {
        SpecificData specific = SpecificData.getForSchema(schema);
        if (specific.getClass(schema) != null && SpecificRecord.class.isAssignableFrom(specific.getClass(schema))) {
            // The generated class's own model carries its logical-type conversions (timestamps as Instant).
            return new SpecificDatumWriter<>(schema, specific);
        }
        return new GenericDatumWriter<>(schema, GenericData.get());
    }
}
