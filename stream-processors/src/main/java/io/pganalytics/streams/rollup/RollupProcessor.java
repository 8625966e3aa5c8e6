package io.pganalytics.streams.rollup;

import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.rollups.Aggregate;
import io.pganalytics.schemas.rollups.Rollup;
import io.pganalytics.streams.validation.CheckFailure;
import io.pganalytics.streams.validation.SourceDecoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Rolls one family up: admits a record into its series' open 1-minute window or dead-letters it as
 * late, closes every window whose end plus grace the task's stream time has passed (emitting it once
 * and merging it into its hour), then closes the hours the same way.
 *
 * <p>Windows close in start order, minutes before hours, inside the task's transaction: an hour
 * closes only after every minute in it, so the 1-hour stage never misses a 1-minute window, and a
 * crash before the commit re-runs the whole step instead of emitting half of it.
 */
final class RollupProcessor implements Processor<String, byte[], String, Object> {

    private static final String STREAM_TIME = "stream-time";
    private static final long MINUTE_MILLIS = RollupsTopology.MINUTE.toMillis();
    private static final long HOUR_MILLIS = RollupsTopology.HOUR.toMillis();

    private final MetricFamily family;
    private final List<String> fields;
    private final SourceDecoder<GenericRecord> decoder;
    private final Duration grace;
    private final long graceMillis;

    private ProcessorContext<String, Object> context;
    private KeyValueStore<Bytes, byte[]> minutes;
    private KeyValueStore<Bytes, byte[]> hours;
    private KeyValueStore<String, Long> streamTimes;
    private long streamTime = Long.MIN_VALUE;
    private long minutesClosedBelow = Long.MIN_VALUE;
    private long hoursClosedBelow = Long.MIN_VALUE;
    private Sensor lateRecords;
    private Schema lastSchema;
    private int[] fieldPositions;
    private int[] seriesPositions;

    RollupProcessor(MetricFamily family, List<String> fields, SourceDecoder<GenericRecord> decoder, Duration grace) {
        this.family = family;
        this.fields = fields;
        this.decoder = decoder;
        this.grace = grace;
        this.graceMillis = grace.toMillis();
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.minutes = context.getStateStore(RollupsTopology.minuteStore(family));
        this.hours = context.getStateStore(RollupsTopology.hourStore(family));
        this.streamTimes = context.getStateStore(RollupsTopology.streamTimeStore(family));
        Long stored = streamTimes.get(STREAM_TIME);
        streamTime = stored == null ? Long.MIN_VALUE : stored;
        lateRecords = context.metrics().addRateTotalSensor("rollups", family.name(), "late-records",
                Sensor.RecordingLevel.INFO);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        SourceDecoder.Decoded<GenericRecord> decoded = decoder.decode(record.value());
        if (decoded.failure() != null) {
            deadLetter(record, decoded.failure());
            return;
        }
        GenericRecord sample = decoded.value();
        long sampledAtMicros = (Long) sample.get(MetricFamily.SAMPLED_AT);
        if (sampledAtMicros < 0) {
            deadLetter(record, new CheckFailure("invalid-timestamp", "sampledAt " + sampledAtMicros + " is before 1970"));
            return;
        }
        long sampledAt = Math.floorDiv(sampledAtMicros, 1000);
        if (sampledAt > streamTime) {
            streamTime = sampledAt;
            streamTimes.put(STREAM_TIME, streamTime);
        }
        long windowStart = sampledAt - Math.floorMod(sampledAt, MINUTE_MILLIS);
        if (windowStart + MINUTE_MILLIS + graceMillis <= streamTime) {
            lateRecords.record();
            deadLetter(record, RollupsTopology.late(sampledAt, windowStart, streamTime, grace));
            return;
        }
        add(sample, sampledAtMicros, windowStart);
        closeWindows();
    }

    private void add(GenericRecord sample, long sampledAtMicros, long windowStart) {
        bind(sample.getSchema());
        String collectorId = sample.get(MetricFamily.COLLECTOR_ID).toString();
        String targetId = sample.get(MetricFamily.TARGET_ID).toString();
        Map<String, String> series = new LinkedHashMap<>();
        StringBuilder seriesKey = new StringBuilder(collectorId).append('/').append(targetId);
        List<String> seriesFields = family.seriesFields();
        for (int i = 0; i < seriesFields.size(); i++) {
            Object value = seriesPositions[i] < 0 ? null : sample.get(seriesPositions[i]);
            String text = String.valueOf(value);
            series.put(seriesFields.get(i), text);
            seriesKey.append('\u0000').append(text);
        }
        Bytes key = RollupsTopology.windowKey(windowStart, seriesKey.toString());
        byte[] stored = minutes.get(key);
        MinuteWindow window = stored == null ? MinuteWindow.empty(collectorId, targetId, series, fields.size())
                : MinuteWindow.decode(stored);
        for (int i = 0; i < fields.size(); i++) {
            Object value = fieldPositions[i] < 0 ? null : sample.get(fieldPositions[i]);
            if (value instanceof Number number) {
                window.add(i, number.doubleValue(), sampledAtMicros);
            }
        }
        minutes.put(key, window.encode());
    }

    /** Field positions in the writer's schema, looked up once per schema rather than by name per record. */
    private void bind(Schema schema) {
        if (schema == lastSchema) {
            return;
        }
        fieldPositions = positions(schema, fields);
        seriesPositions = positions(schema, family.seriesFields());
        lastSchema = schema;
    }

    private static int[] positions(Schema schema, List<String> names) {
        int[] positions = new int[names.size()];
        for (int i = 0; i < positions.length; i++) {
            Schema.Field field = schema.getField(names.get(i));
            positions[i] = field == null ? -1 : field.pos();
        }
        return positions;
    }

    private void closeWindows() {
        long closedBelow = floor(streamTime - graceMillis, MINUTE_MILLIS);
        if (closedBelow > minutesClosedBelow) {
            for (KeyValue<Bytes, byte[]> closed : closedWindows(minutes, closedBelow)) {
                long windowStart = ByteBuffer.wrap(closed.key.get()).getLong();
                MinuteWindow window = MinuteWindow.decode(closed.value);
                Rollup minute = rollup(window.collectorId, window.targetId, window.series, Topics.Resolution.ONE_MINUTE,
                        windowStart, MINUTE_MILLIS, window.aggregates(fields));
                context.forward(new Record<String, Object>(window.collectorId + "/" + window.targetId, minute, windowStart),
                        RollupsTopology.minuteSink(family));
                minutes.delete(closed.key);
                mergeIntoHour(closed.key, windowStart, minute);
            }
            minutesClosedBelow = closedBelow;
        }
        long hoursBelow = floor(streamTime - graceMillis, HOUR_MILLIS);
        if (hoursBelow > hoursClosedBelow) {
            for (KeyValue<Bytes, byte[]> closed : closedWindows(hours, hoursBelow)) {
                Rollup hour = fromBytes(closed.value);
                context.forward(new Record<String, Object>(hour.getCollectorId() + "/" + hour.getTargetId(), hour,
                        hour.getWindowStart().toEpochMilli()), RollupsTopology.hourSink(family));
                hours.delete(closed.key);
            }
            hoursClosedBelow = hoursBelow;
        }
    }

    private void mergeIntoHour(Bytes minuteKey, long minuteStart, Rollup minute) {
        long hourStart = minuteStart - Math.floorMod(minuteStart, HOUR_MILLIS);
        byte[] keyBytes = minuteKey.get().clone();
        ByteBuffer.wrap(keyBytes).putLong(hourStart);
        Bytes key = Bytes.wrap(keyBytes);
        byte[] stored = hours.get(key);
        Rollup hour;
        if (stored == null) {
            hour = rollup(minute.getCollectorId(), minute.getTargetId(), minute.getSeries(), Topics.Resolution.ONE_HOUR,
                    hourStart, HOUR_MILLIS, new LinkedHashMap<>(minute.getMetrics()));
        } else {
            hour = fromBytes(stored);
            Map<String, Aggregate> merged = new LinkedHashMap<>(hour.getMetrics());
            minute.getMetrics().forEach((field, aggregate) -> merged.put(field, Rollups.merge(merged.get(field), aggregate)));
            hour.setMetrics(merged);
        }
        hours.put(key, toBytes(hour));
    }

    /** The windows of {@code store} that start before {@code closedBelow}, in start order, read before any is deleted. */
    private static List<KeyValue<Bytes, byte[]>> closedWindows(KeyValueStore<Bytes, byte[]> store, long closedBelow) {
        List<KeyValue<Bytes, byte[]>> closed = new ArrayList<>();
        // Keys are the 8-byte start then the series: the bare 8-byte key of closedBelow sorts before every
        // window starting there, so this inclusive range holds exactly the windows that start earlier.
        try (KeyValueIterator<Bytes, byte[]> range = store.range(RollupsTopology.windowPrefix(0), RollupsTopology.windowPrefix(closedBelow))) {
            range.forEachRemaining(closed::add);
        }
        return closed;
    }

    private Rollup rollup(String collectorId, String targetId, Map<String, String> series, Topics.Resolution resolution,
            long windowStart, long sizeMillis, Map<String, Aggregate> metrics) {
        return Rollup.newBuilder()
                .setFamily(family.name())
                .setCollectorId(collectorId)
                .setTargetId(targetId)
                .setSeries(new HashMap<>(series))
                .setResolution(resolution.suffix())
                .setWindowStart(Instant.ofEpochMilli(windowStart))
                .setWindowEnd(Instant.ofEpochMilli(windowStart + sizeMillis))
                .setMetrics(metrics)
                .build();
    }

    private void deadLetter(Record<String, byte[]> record, CheckFailure failure) {
        RollupsTopology.annotate(record.headers(), failure, context.recordMetadata());
        context.forward(record, RollupsTopology.dlqSink(family));
    }

    private static long floor(long value, long unit) {
        return value == Long.MIN_VALUE ? Long.MIN_VALUE : value - Math.floorMod(value, unit);
    }

    private static byte[] toBytes(Rollup rollup) {
        try {
            ByteBuffer buffer = rollup.toByteBuffer();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Rollup fromBytes(byte[] bytes) {
        try {
            return Rollup.fromByteBuffer(ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt 1-hour window state: " + e.getMessage(), e);
        }
    }
}
