package io.pganalytics.streams;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.registry.SchemaRegistryException;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerde;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.streams.validation.CheckFailure;
import io.pganalytics.streams.validation.DatabaseSampleChecks;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * {@code pga.raw.database} → decode and check → {@code pga.metrics.database}, or {@code pga.dlq}
 * with the original bytes and the reason in headers.
 *
 * <p>The source reads raw bytes and decodes inside the topology rather than through a
 * deserialization exception handler, so that a malformed record is routed to the dead-letter topic
 * in the same exactly-once transaction as everything else, with the same headers as a record that
 * failed a check. A registry that cannot be reached is not the record's fault: that error is
 * rethrown, the task fails and is retried, and nothing is dead-lettered by mistake.
 */
public final class DatabaseMetricsTopology {

    /** The application id, and so the consumer group and the prefix of internal topics. */
    public static final String APPLICATION_ID = "pga-streams-database";

    private DatabaseMetricsTopology() {
    }

    /** The topology; {@code serdeConfig} holds at least {@code schema.registry.url}. */
    public static Topology build(Map<String, ?> serdeConfig) {
        AvroSerdeConfig config = AvroSerdeConfig.from(serdeConfig);
        var client = config.newClient();
        AvroDeserializer<DatabaseSample> decoder = new AvroDeserializer<>(client, true);
        AvroSerde<DatabaseSample> samples = AvroSerde.forValues(serdeConfig);

        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(Topics.RAW_DATABASE, Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("raw-database"))
                .processValues(() -> new DecodeAndCheck(decoder), Named.as("decode-and-check"))
                .split(Named.as("checked-"))
                .branch((key, checked) -> checked.sample() != null, Branched.withConsumer(valid -> valid
                        .mapValues(Checked::sample, Named.as("valid-sample"))
                        .to(Topics.METRICS_DATABASE, Produced.with(Serdes.String(), samples).withName("to-metrics")),
                        "valid"))
                .defaultBranch(Branched.withConsumer(rejected -> rejected
                        .mapValues(Checked::original, Named.as("original-bytes"))
                        .to(Topics.DLQ, Produced.with(Serdes.String(), Serdes.ByteArray()).withName("to-dlq")),
                        "rejected"));
        return builder.build();
    }

    /** A decoded sample that passed, or the original bytes of one that did not. */
    record Checked(DatabaseSample sample, byte[] original) {
    }

    /** Decodes a raw record and runs the checks; a failure gets the dead-letter headers. */
    static final class DecodeAndCheck implements FixedKeyProcessor<String, byte[], Checked> {

        private final AvroDeserializer<DatabaseSample> decoder;
        private FixedKeyProcessorContext<String, Checked> context;

        DecodeAndCheck(AvroDeserializer<DatabaseSample> decoder) {
            this.decoder = decoder;
        }

        @Override
        public void init(FixedKeyProcessorContext<String, Checked> context) {
            this.context = context;
        }

        @Override
        public void process(FixedKeyRecord<String, byte[]> record) {
            Optional<CheckFailure> failure;
            DatabaseSample sample = null;
            if (record.value() == null) {
                failure = Optional.of(CheckFailure.undecodable("null value"));
            } else {
                try {
                    sample = decoder.deserialize(Topics.RAW_DATABASE, record.value());
                    failure = DatabaseSampleChecks.check(record.key(), sample);
                } catch (SerializationException e) {
                    if (registryUnavailable(e)) {
                        throw e;
                    }
                    failure = Optional.of(CheckFailure.undecodable(e.getMessage()));
                }
            }
            if (failure.isEmpty()) {
                context.forward(record.withValue(new Checked(sample, null)));
                return;
            }
            Headers headers = record.headers();
            add(headers, DeadLetterHeaders.CHECK, failure.get().check());
            add(headers, DeadLetterHeaders.REASON, failure.get().reason());
            add(headers, DeadLetterHeaders.PROCESSOR, APPLICATION_ID);
            context.recordMetadata().ifPresent(meta -> {
                add(headers, DeadLetterHeaders.SOURCE_TOPIC, meta.topic());
                add(headers, DeadLetterHeaders.SOURCE_PARTITION, Integer.toString(meta.partition()));
                add(headers, DeadLetterHeaders.SOURCE_OFFSET, Long.toString(meta.offset()));
            });
            context.forward(record.withValue(new Checked(null, record.value())).withHeaders(headers));
        }

        private static boolean registryUnavailable(SerializationException e) {
            return e.getCause() instanceof SchemaRegistryException registry
                    && (registry.httpStatus() < 0 || registry.httpStatus() >= 500);
        }

        private static void add(Headers headers, String key, String value) {
            headers.remove(key).add(key, value.getBytes(StandardCharsets.UTF_8));
        }
    }
}
