package io.pganalytics.streams.ingest;

import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.streams.ingest.sample.DeadLetters;
import io.pganalytics.streams.ingest.sample.IngestSample;
import io.pganalytics.streams.validation.CheckFailure;
import io.pganalytics.streams.validation.SampleChecks;
import io.pganalytics.streams.validation.SourceDecoder;
import java.util.List;
import java.util.Optional;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Decodes a family's raw record, runs {@link SampleChecks} (and, when targets must be known, looks
 * the target up in the global store of {@code pga.fleet.targets}); a passing sample goes on with
 * its series key, a failing one to the dead letters.
 */
final class DecodeAndCheck implements Processor<String, byte[], String, Object> {

    /** The character between the parts of a series key: cannot occur in an identifier or a number. */
    static final char SERIES_SEPARATOR = '\u001f';

    private final SourceDecoder<GenericRecord> decoder;
    private final SampleChecks checks;
    private final String knownTargetsStore;
    private final String next;
    private final String dlqSink;
    private final String family;
    private final int targetPos;
    private final int[] seriesPos;
    private ProcessorContext<String, Object> context;
    private DeadLetters deadLetters;
    private KeyValueStore<String, ?> knownTargets;

    /** {@code knownTargetsStore} null when targets need not be known. */
    DecodeAndCheck(MetricFamily family, SourceDecoder<GenericRecord> decoder, SampleChecks checks, String knownTargetsStore,
            String next, String dlqSink) {
        this.family = family.name();
        this.decoder = decoder;
        this.checks = checks;
        this.knownTargetsStore = knownTargetsStore;
        this.next = next;
        this.dlqSink = dlqSink;
        this.targetPos = family.rawSchema().getField(MetricFamily.TARGET_ID).pos();
        List<String> series = family.seriesFields();
        this.seriesPos = series.stream().mapToInt(f -> family.rawSchema().getField(f).pos()).toArray();
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.deadLetters = new DeadLetters(context, family, dlqSink);
        if (knownTargetsStore != null) {
            knownTargets = context.getStateStore(knownTargetsStore);
        }
    }

    @Override
    public void process(Record<String, byte[]> record) {
        SourceDecoder.Decoded<GenericRecord> decoded = decoder.decode(record.value());
        Optional<CheckFailure> failure = decoded.failure() != null ? Optional.of(decoded.failure())
                : checks.check(record.key(), decoded.value(), context.currentSystemTimeMs());
        if (failure.isEmpty() && knownTargets != null) {
            String targetId = decoded.value().get(targetPos).toString();
            if (knownTargets.get(targetId) == null) {
                failure = Optional.of(new CheckFailure("unknown-target",
                        "targetId '" + targetId + "' is not in pga.fleet.targets"));
            }
        }
        if (failure.isPresent()) {
            deadLetters.send(record, record.value(), failure.get());
            return;
        }
        GenericRecord sample = decoded.value();
        StringBuilder seriesKey = new StringBuilder(sample.get(targetPos).toString());
        for (int pos : seriesPos) {
            seriesKey.append(SERIES_SEPARATOR).append(sample.get(pos));
        }
        context.forward(record.withValue(new IngestSample(sample, record.value(), seriesKey.toString())), next);
    }
}
