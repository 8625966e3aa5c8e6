package io.pganalytics.streams;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerde;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.streams.validation.CheckFailure;
import io.pganalytics.streams.validation.DatabaseSampleChecks;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import io.pganalytics.streams.validation.SourceDecoder;
import java.util.Map;
import java.util.Optional;
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
 * <p>The source reads raw bytes and decodes inside the topology ({@link SourceDecoder} says why), so
 * a malformed record reaches the dead-letter topic in the same exactly-once transaction as the rest.
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
        SourceDecoder<DatabaseSample> decoder = new SourceDecoder<>(new AvroDeserializer<>(client, true), Topics.RAW_DATABASE);
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

        private final SourceDecoder<DatabaseSample> decoder;
        private FixedKeyProcessorContext<String, Checked> context;

        DecodeAndCheck(SourceDecoder<DatabaseSample> decoder) {
            this.decoder = decoder;
        }

        @Override
        public void init(FixedKeyProcessorContext<String, Checked> context) {
            this.context = context;
        }

        @Override
        public void process(FixedKeyRecord<String, byte[]> record) {
            SourceDecoder.Decoded<DatabaseSample> decoded = decoder.decode(record.value());
            Optional<CheckFailure> failure = decoded.failure() != null ? Optional.of(decoded.failure())
                    : DatabaseSampleChecks.check(record.key(), decoded.value());
            if (failure.isEmpty()) {
                context.forward(record.withValue(new Checked(decoded.value(), null)));
                return;
            }
            Headers headers = DeadLetterHeaders.annotate(record.headers(), failure.get(), APPLICATION_ID,
                    context.recordMetadata());
            context.forward(record.withValue(new Checked(null, record.value())).withHeaders(headers));
        }
    }
}
