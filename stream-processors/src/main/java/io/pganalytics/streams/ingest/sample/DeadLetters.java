package io.pganalytics.streams.ingest.sample;

import io.pganalytics.streams.validation.CheckFailure;
import io.pganalytics.streams.validation.DeadLetterHeaders;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Sends rejected records of one family to {@code pga.dlq}, original bytes and reason in headers, and
 * counts them per check as Kafka Streams metrics: {@code dead-letter-<check>-total} and {@code -rate}
 * in group {@code stream-pga-ingest-metrics}, tag {@code pga-ingest-id=<family>}, so that no drop goes uncounted.
 * The {@code pga.dlq.processor} header is the application's id ({@code pga-streams-ingest}).
 */
public final class DeadLetters {

    /** The metrics scope: the group is {@code stream-pga-ingest-metrics}. */
    public static final String METRICS_SCOPE = "pga-ingest";

    private final ProcessorContext<String, Object> context;
    private final String family;
    private final String sink;
    private final Map<String, Sensor> sensors = new HashMap<>();

    public DeadLetters(ProcessorContext<String, Object> context, String family, String sink) {
        this.context = context;
        this.family = family;
        this.sink = sink;
    }

    /** Forwards {@code original} under the record's key to the dead-letter sink, annotated with {@code failure}. */
    public void send(Record<String, ?> record, byte[] original, CheckFailure failure) {
        DeadLetterHeaders.annotate(record.headers(), failure, context.applicationId(), context.recordMetadata());
        context.forward(new Record<String, Object>(record.key(), original, record.timestamp(), record.headers()), sink);
        sensors.computeIfAbsent(failure.check(), check -> context.metrics().addRateTotalSensor(METRICS_SCOPE, family,
                "dead-letter-" + check, Sensor.RecordingLevel.INFO)).record(1);
    }
}
