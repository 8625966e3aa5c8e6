package io.pganalytics.schemas.serde;

import io.pganalytics.schemas.evolution.SchemaEvolution;
import io.pganalytics.schemas.registry.RegisteredSchema;
import io.pganalytics.schemas.registry.SchemaRegistryClient;
import io.pganalytics.schemas.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka serializer writing Avro records (generated or generic) in Confluent's wire format, under
 * the subject its {@link SubjectNameStrategy} names ({@code <topic>-value} by default).
 *
 * <p>The registry is asked once per (topic, schema); after that a record costs a reference
 * comparison, the Avro encoding into a per-thread buffer, and one array for the result.
 */
public final class AvroSerializer<T extends GenericContainer> implements Serializer<T> {

    /** Generic records built with fresh Schema instances would grow the binding table without end. */
    private static final int MAX_BINDINGS = 1_000;

    private SchemaRegistryClient client;
    private AvroSerdeConfig config;
    private boolean isKey;
    private SubjectNameStrategy strategy;
    private final Map<BindingKey, Binding> bindings = new ConcurrentHashMap<>();
    // Most producers write one record type to one topic: one volatile read answers them.
    private volatile Binding last;

    /** For Kafka's reflective construction; call {@link #configure} before use. */
    public AvroSerializer() {
    }

    /** A ready serializer over an existing client (shared clients share their caches). */
    public AvroSerializer(SchemaRegistryClient client, AvroSerdeConfig config, boolean isKey) {
        this.client = client;
        this.config = config;
        this.isKey = isKey;
        this.strategy = config.subjectNameStrategy(isKey);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.config = AvroSerdeConfig.from(configs);
        this.client = config.newClient();
        this.isKey = isKey;
        this.strategy = config.subjectNameStrategy(isKey);
        bindings.clear();
        last = null;
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        return serializeDatum(topic, record.getSchema(), record);
    }

    /**
     * Serializes any Avro datum (a record, or a primitive such as a {@code CharSequence} or {@code Long})
     * with the given schema; for converters, whose values do not carry their schema.
     */
    public byte[] serializeDatum(String topic, Schema schema, Object datum) {
        if (datum == null) {
            return null;
        }
        boolean specific = datum instanceof SpecificRecord;
        Binding binding = last;
        if (binding == null || binding.schema != schema || binding.specific != specific
                || !binding.topic.equals(topic) || binding.expired()) {
            binding = bind(topic, schema, specific);
            last = binding;
        }
        try {
            return FrameBuffer.get().frame(binding.id, binding.writer, datum);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot write " + schema.getFullName() + " for " + binding.subject
                    + ": " + e.getMessage(), e);
        }
    }

    private Binding bind(String topic, Schema schema, boolean specific) {
        BindingKey key = new BindingKey(topic, schema, specific);
        Binding known = bindings.get(key);
        if (known != null && !known.expired()) {
            return known;
        }
        Binding fresh = resolve(topic, schema, specific);
        if (bindings.size() >= MAX_BINDINGS) {
            bindings.clear();
        }
        bindings.put(key, fresh);
        return fresh;
    }

    private Binding resolve(String topic, Schema schema, boolean specific) {
        String subject = strategy.subject(topic, isKey, schema);
        try {
            // Confluent's order: auto-registration wins over use.latest.version, which wins over lookup.
            if (config.autoRegister()) {
                return new Binding(topic, schema, specific, subject, client.register(subject, schema),
                        writerFor(schema, specific), Long.MAX_VALUE);
            }
            if (config.useLatestVersion()) {
                return latestBinding(topic, schema, specific, subject);
            }
            int id = client.idOf(subject, schema).orElseThrow(() -> new SerializationException(
                    "schema " + schema.getFullName() + " is not registered under " + subject
                            + " and " + AvroSerdeConfig.AUTO_REGISTER_SCHEMAS + " is false"));
            return new Binding(topic, schema, specific, subject, id, writerFor(schema, specific), Long.MAX_VALUE);
        } catch (SchemaRegistryException e) {
            throw new SerializationException("schema registry refused " + subject + ": " + e.getMessage(), e);
        }
    }

    private Binding latestBinding(String topic, Schema schema, boolean specific, String subject) {
        RegisteredSchema latest = client.latest(subject);
        long expiresAt = config.latestCacheTtlSeconds() < 0 ? Long.MAX_VALUE
                : System.nanoTime() + TimeUnit.SECONDS.toNanos(config.latestCacheTtlSeconds());
        if (latest.schema().equals(schema)) {
            return new Binding(topic, schema, specific, subject, latest.id(), writerFor(schema, specific), expiresAt);
        }
        if (config.latestCompatibilityStrict()) {
            List<String> problems = SchemaEvolution.problemsReading(schema, latest.schema());
            if (!problems.isEmpty()) {
                throw new SerializationException("record schema " + schema.getFullName() + " cannot be written as the latest version of "
                        + subject + " (id " + latest.id() + "): " + String.join("; ", problems)
                        + "; register it or set " + AvroSerdeConfig.LATEST_COMPATIBILITY_STRICT + "=false");
            }
        }
        return new Binding(topic, schema, specific, subject, latest.id(),
                new ProjectingWriter(writerFor(schema, specific), schema, latest.schema()), expiresAt);
    }

    @SuppressWarnings("unchecked")
    private static DatumWriter<Object> writerFor(Schema schema, boolean specific) {
        if (specific) {
            // The generated class's own model carries its logical-type conversions (timestamps as Instant).
            return new SpecificDatumWriter<>(schema, SpecificData.getForSchema(schema));
        }
        // Generic records hold the underlying Avro values (timestamps as long), as Confluent's serializer expects.
        return new GenericDatumWriter<>(schema, GenericData.get());
    }

    /** What a (topic, schema) pair resolved to: the id to frame with and the writer to encode with. */
    private record Binding(String topic, Schema schema, boolean specific, String subject, int id,
                           DatumWriter<Object> writer, long expiresAtNanos) {

        boolean expired() {
            return expiresAtNanos != Long.MAX_VALUE && System.nanoTime() - expiresAtNanos > 0;
        }
    }

    /**
     * Looks a binding up by the identity of its Schema: hashing or comparing a whole Schema per record
     * would cost more than encoding a small record.
     */
    private record BindingKey(String topic, Schema schema, boolean specific) {

        @Override
        public boolean equals(Object other) {
            return other instanceof BindingKey key && key.schema == schema && key.specific == specific
                    && key.topic.equals(topic);
        }

        @Override
        public int hashCode() {
            return 31 * topic.hashCode() + System.identityHashCode(schema) + (specific ? 1 : 0);
        }
    }

    /**
     * Writes a record as the subject's latest schema when its own schema differs (use.latest.version):
     * encode with the record's schema, resolve into the latest one, encode again. Slow, but only used when
     * a producer deliberately writes an older or narrower class than the registry's latest.
     */
    private static final class ProjectingWriter implements DatumWriter<Object> {

        private final DatumWriter<Object> own;
        private final GenericDatumReader<Object> resolver;
        private final GenericDatumWriter<Object> latest;

        ProjectingWriter(DatumWriter<Object> own, Schema ownSchema, Schema latestSchema) {
            this.own = own;
            this.resolver = new GenericDatumReader<>(ownSchema, latestSchema, GenericData.get());
            this.latest = new GenericDatumWriter<>(latestSchema, GenericData.get());
        }

        @Override
        public void setSchema(Schema schema) {
            // Fixed at construction.
        }

        @Override
        public void write(Object datum, Encoder out) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
            own.write(datum, encoder);
            encoder.flush();
            Object projected = resolver.read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
            latest.write(projected, out);
        }
    }
}
