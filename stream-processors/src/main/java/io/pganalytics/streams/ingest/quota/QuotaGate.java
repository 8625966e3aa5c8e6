package io.pganalytics.streams.ingest.quota;

import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.fleet.Quota;
import io.pganalytics.streams.ingest.sample.DeadLetters;
import io.pganalytics.streams.ingest.sample.IngestSample;
import io.pganalytics.streams.validation.CheckFailure;
import io.pganalytics.streams.validation.SourceDecoder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds each collector to its quotas in one family: records per second, counted over fixed windows
 * of record time (the producer's clock, so a backlog replayed after an outage of ours is not
 * mistaken for a flood), and active series. The excess goes to {@code pga.dlq} with check
 * {@code quota} and is counted; a wall-clock punctuator reports it on {@code pga.fleet.events}, at
 * most once per collector and family per interval, as a {@code throttled} event.
 *
 * <p>Limits come from the collector's override in the global store of {@code pga.quotas}, field by
 * field, else from {@link QuotaSettings}. Only samples that passed the checks count.
 */
public final class QuotaGate implements Processor<String, IngestSample, String, Object> {

    private static final Logger LOG = LoggerFactory.getLogger(QuotaGate.class);
    /** How stale a series' last-seen time may get before it is written again: saves a store write per record. */
    private static final long SEEN_RESOLUTION_MILLIS = 60_000;

    private final MetricFamily family;
    private final QuotaSettings config;
    private final String usageStoreName;
    private final String seriesStoreName;
    private final String overridesStoreName;
    private final SourceDecoder<Quota> quotaDecoder;
    private final String next;
    private final String dlqSink;
    private final String eventsSink;
    private final long windowMillis;
    private final Map<String, CachedQuota> quotas = new HashMap<>();
    private ProcessorContext<String, Object> context;
    private DeadLetters deadLetters;
    private KeyValueStore<String, QuotaUsage> usage;
    private KeyValueStore<String, SeenSeries> series;
    private KeyValueStore<String, byte[]> overrides;

    public QuotaGate(MetricFamily family, QuotaSettings config, String usageStoreName, String seriesStoreName,
            String overridesStoreName, SourceDecoder<Quota> quotaDecoder, String next, String dlqSink, String eventsSink) {
        this.family = family;
        this.config = config;
        this.usageStoreName = usageStoreName;
        this.seriesStoreName = seriesStoreName;
        this.overridesStoreName = overridesStoreName;
        this.quotaDecoder = quotaDecoder;
        this.next = next;
        this.dlqSink = dlqSink;
        this.eventsSink = eventsSink;
        this.windowMillis = config.quotaWindow().toMillis();
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.deadLetters = new DeadLetters(context, family.name(), dlqSink);
        usage = context.getStateStore(usageStoreName);
        series = context.getStateStore(seriesStoreName);
        overrides = context.getStateStore(overridesStoreName);
        context.schedule(config.throttleEventInterval(), PunctuationType.WALL_CLOCK_TIME, this::reportThrottled);
        Duration idle = config.seriesIdleTimeout();
        Duration every = idle.dividedBy(4).compareTo(Duration.ofMinutes(10)) > 0 ? Duration.ofMinutes(10)
                : idle.dividedBy(4).isZero() ? Duration.ofSeconds(1) : idle.dividedBy(4);
        context.schedule(every, PunctuationType.STREAM_TIME, this::forgetIdleSeries);
    }

    @Override
    public void process(Record<String, IngestSample> record) {
        String collectorId = record.value().sample().get(MetricFamily.COLLECTOR_ID).toString();
        Limits limits = limitsOf(collectorId);
        long at = record.timestamp();
        QuotaUsage used = usage.get(collectorId);
        used = (used == null ? QuotaUsage.NONE : used).inWindow(at - Math.floorMod(at, windowMillis));
        if (used.windowRecords() >= limits.recordsPerWindow()) {
            usage.put(collectorId, used.excessRecord());
            deadLetters.send(record, record.value().original(), new CheckFailure("quota", "collector " + collectorId
                    + " is over its quota of " + limits.recordsPerSecond() + " " + family.name() + " records/s ("
                    + limits.recordsPerWindow() + " per " + windowMillis / 1000 + " s window)"));
            return;
        }
        String seriesKey = record.value().seriesKey();
        SeenSeries seen = series.get(seriesKey);
        if (seen == null && used.activeSeries() >= limits.seriesPerFamily()) {
            usage.put(collectorId, used.excessSeries());
            deadLetters.send(record, record.value().original(), new CheckFailure("quota", "collector " + collectorId
                    + " is over its quota of " + limits.seriesPerFamily() + " active " + family.name() + " series"));
            return;
        }
        // A series that moved to another collector (fail-over) counts for the new one from now on.
        boolean newForCollector = seen == null || !seen.collectorId().equals(collectorId);
        if (seen != null && newForCollector) {
            QuotaUsage previousOwner = usage.get(seen.collectorId());
            if (previousOwner != null) {
                usage.put(seen.collectorId(), previousOwner.seriesForgotten(1));
            }
        }
        if (newForCollector || at - seen.seenAtMillis() > SEEN_RESOLUTION_MILLIS) {
            series.put(seriesKey, new SeenSeries(collectorId, at));
        }
        usage.put(collectorId, used.accepted(newForCollector));
        context.forward(record, next);
    }

    private Limits limitsOf(String collectorId) {
        byte[] bytes = overrides.get(collectorId);
        Quota quota = null;
        if (bytes != null) {
            CachedQuota cached = quotas.get(collectorId);
            if (cached == null || !Arrays.equals(cached.bytes(), bytes)) {
                SourceDecoder.Decoded<Quota> decoded = quotaDecoder.decode(bytes);
                cached = new CachedQuota(bytes, decoded.value());
                quotas.put(collectorId, cached);
            }
            quota = cached.quota();
        }
        long perSecond = quota != null && quota.getRecordsPerSecond() != null ? quota.getRecordsPerSecond() : config.recordsPerSecond();
        long perFamily = quota != null && quota.getSeriesPerFamily() != null ? quota.getSeriesPerFamily() : config.seriesPerFamily();
        return new Limits(perSecond, Math.max(1, perSecond * windowMillis / 1000), perFamily);
    }

    private void reportThrottled(long now) {
        List<KeyValue<String, QuotaUsage>> throttled = new ArrayList<>();
        try (KeyValueIterator<String, QuotaUsage> all = usage.all()) {
            all.forEachRemaining(entry -> {
                if (entry.value.unreportedExcessRecords() > 0 || entry.value.unreportedExcessSeries() > 0) {
                    throttled.add(entry);
                }
            });
        }
        for (KeyValue<String, QuotaUsage> entry : throttled) {
            QuotaUsage used = entry.value;
            Limits limits = limitsOf(entry.key);
            String reason = used.unreportedExcessRecords() + " " + family.name() + " records over " + limits.recordsPerSecond()
                    + " records/s and " + used.unreportedExcessSeries() + " over " + limits.seriesPerFamily()
                    + " active series diverted to pga.dlq in the last " + config.throttleEventInterval().toSeconds() + " s";
            FleetEvent event = FleetEvent.newBuilder()
                    .setCollectorId(entry.key)
                    .setAt(Instant.ofEpochMilli(now))
                    .setKind(FleetVocabulary.KIND_THROTTLED)
                    .setFrom(null)
                    .setTo(FleetVocabulary.KIND_THROTTLED)
                    .setReason(reason)
                    .setFamily(family.name())
                    .setExcessRecords(used.unreportedExcessRecords())
                    .setExcessSeries(used.unreportedExcessSeries())
                    .build();
            usage.put(entry.key, used.reported());
            context.forward(new Record<String, Object>(entry.key, event, now), eventsSink);
            LOG.info("collector {} throttled: {}", entry.key, reason);
        }
    }

    private void forgetIdleSeries(long streamTime) {
        long before = streamTime - config.seriesIdleTimeout().toMillis();
        Map<String, Integer> forgotten = new HashMap<>();
        List<String> idle = new ArrayList<>();
        try (KeyValueIterator<String, SeenSeries> all = series.all()) {
            all.forEachRemaining(entry -> {
                if (entry.value.seenAtMillis() < before) {
                    idle.add(entry.key);
                    forgotten.merge(entry.value.collectorId(), 1, Integer::sum);
                }
            });
        }
        idle.forEach(series::delete);
        forgotten.forEach((collectorId, count) -> {
            QuotaUsage used = usage.get(collectorId);
            if (used != null) {
                usage.put(collectorId, used.seriesForgotten(count));
            }
        });
    }

    private record Limits(long recordsPerSecond, long recordsPerWindow, long seriesPerFamily) {
    }

    private record CachedQuota(byte[] bytes, Quota quota) {
    }

    /** A series the gate has seen: which collector sent it, and when (record time) last. */
    public record SeenSeries(String collectorId, long seenAtMillis) {

        /** The store serde: the time, then the collector id in UTF-8. */
        public static Serde<SeenSeries> serde() {
            return Serdes.serdeFrom((topic, seen) -> {
                if (seen == null) {
                    return null;
                }
                byte[] id = seen.collectorId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                return java.nio.ByteBuffer.allocate(8 + id.length).putLong(seen.seenAtMillis).put(id).array();
            }, (topic, bytes) -> bytes == null ? null : new SeenSeries(
                    new String(bytes, 8, bytes.length - 8, java.nio.charset.StandardCharsets.UTF_8),
                    java.nio.ByteBuffer.wrap(bytes).getLong()));
        }
    }
}
