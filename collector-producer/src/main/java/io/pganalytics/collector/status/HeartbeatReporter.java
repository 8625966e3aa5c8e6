package io.pganalytics.collector.status;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.spool.Recovery;
import io.pganalytics.collector.spool.SpoolUsage;
import io.pganalytics.collector.targets.TargetStatus;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.DesiredState;
import io.pganalytics.schemas.fleet.EffectiveConfig;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the collector's heartbeat to {@code pga.fleet.heartbeats} every heartbeat interval, and its
 * drop events to {@code pga.fleet.events}: identity, health per owned target, effective
 * configuration, spool and drops.
 *
 * <p>Its own small producer, straight to Kafka, never through the spool: a heartbeat replayed
 * minutes late would only mislead, so one that cannot go within 30 s is given up.
 */
public final class HeartbeatReporter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HeartbeatReporter.class);

    private final CollectorState collector;
    private final String collectorId;
    private final long intervalMillis;
    private final String version;
    private final Instant startedAt;
    private final String hostname = hostname();
    private final KafkaProducer<String, GenericContainer> producer;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "pga-collector-schedule");
        thread.setDaemon(true);
        return thread;
    });
    /** Samples the spool dropped per family and no pga.fleet.events record has reported yet. */
    private final Map<String, Long> unreportedDrops = new ConcurrentHashMap<>();
    private final AtomicInteger dropEventsInFlight = new AtomicInteger();

    /**
     * A reporter of {@code collector}, not yet sending: see {@link #start()}.
     *
     * @param producerOverrides extra Kafka producer settings
     * @param version           the collector's version, written into every heartbeat
     * @param startedAt         when the collector started
     */
    public HeartbeatReporter(CollectorConfig config, Map<String, Object> producerOverrides, String version, Instant startedAt,
                             CollectorState collector) {
        this.collector = collector;
        this.collectorId = config.collectorId();
        this.intervalMillis = config.heartbeatIntervalMillis();
        this.version = version;
        this.startedAt = startedAt;
        Map<String, Object> producerConfig = new HashMap<>();
        producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(AvroSerdeConfig.SCHEMA_REGISTRY_URL, config.schemaRegistryUrl());
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "pga-collector-" + config.collectorId() + "-status");
        // A heartbeat older than a few intervals is worthless: give up on it rather than queue it.
        // While Kafka is away the producer forgets its metadata (metadata.recovery.strategy=rebootstrap,
        // Kafka 4's default) and a send would wait max.block.ms for it, on the thread that heartbeats:
        // keep that wait short, the heartbeat could not go anyway.
        producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 100);
        producerConfig.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        producerConfig.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        producerConfig.putAll(producerOverrides);
        // Kafka configures only the serializers it instantiates itself, so configure ours here.
        AvroSerializer<GenericContainer> values = new AvroSerializer<>();
        values.configure(producerConfig, false);
        this.producer = new KafkaProducer<>(producerConfig, new StringSerializer(), values);
        try {
            producer.partitionsFor(Topics.FLEET_HEARTBEATS); // starts the fetch: 100 ms is short on a busy host
        } catch (org.apache.kafka.common.errors.TimeoutException notYet) {
            // the first heartbeat may go missing; the fetch goes on in the background
        }
    }

    /** Sends a heartbeat now and every heartbeat interval from now on. */
    public void start() {
        timer.scheduleAtFixedRate(this::send, 0, intervalMillis, TimeUnit.MILLISECONDS);
    }

    private void send() {
        sendDropEvents();
        Heartbeat heartbeat;
        try {
            heartbeat = heartbeat();
        } catch (RuntimeException e) {
            LOG.warn("collector {}: heartbeat not built: {}", collectorId, e.toString());
            return;
        }
        try {
            producer.send(new ProducerRecord<>(Topics.FLEET_HEARTBEATS, collectorId, heartbeat), (metadata, error) -> {
                if (error != null) {
                    LOG.warn("collector {}: heartbeat not produced: {}", collectorId, error.getMessage());
                }
            });
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: log and keep the heartbeat alive.
            LOG.warn("collector {}: heartbeat not produced: {}", collectorId, e.getMessage());
        }
    }

    /** The status report: identity, health per owned target, effective configuration, spool and drops. */
    public Heartbeat heartbeat() {
        List<TargetStatus> statuses = collector.status();
        TargetReports.Selection reports = TargetReports.of(statuses);
        SpoolUsage usage = collector.spool().usage();
        Recovery recovery = collector.spool().recovery();
        CollectorConfig now = collector.config();
        Instant sentAt = Instant.now();
        return Heartbeat.newBuilder()
                .setCollectorId(now.collectorId())
                .setHostname(hostname)
                .setVersion(version)
                .setStartedAt(startedAt)
                .setSentAt(sentAt)
                .setIntervalMillis(now.heartbeatIntervalMillis())
                .setTargetsConfigured(statuses.size())
                .setTargetsHealthy((int) statuses.stream().filter(TargetStatus::healthy).count())
                .setSamplesProduced(collector.samplesProduced())
                .setSamplesFailed(collector.samplesFailed())
                .setUptimeMillis(sentAt.toEpochMilli() - startedAt.toEpochMilli())
                .setState(stateOf(collector))
                .setEffectiveConfig(EffectiveConfig.newBuilder()
                        .setPreset(now.preset().configName())
                        .setBaseIntervalMillis(now.intervalMillis())
                        .setFamilyIntervalMillis(new HashMap<>(now.familyIntervalMillis()))
                        .setWorkers(now.operations().workers())
                        .setFleetGroup(now.operations().fleetGroup())
                        .setLogLevel(collector.logLevel())
                        .build())
                .setTargets(reports.reports())
                .setTargetsOmitted(reports.omitted())
                .setCyclesSkipped(collector.cyclesSkipped())
                .setBufferUsedBytes(collector.bufferUsedBytes())
                .setSpoolUsedBytes(usage.usedBytes())
                .setSpoolCapacityBytes(usage.capacityBytes())
                .setSpoolPendingRecords(usage.pendingRecords())
                .setDroppedByFamily(new HashMap<>(collector.spool().droppedByFamily()))
                .setPreviousShutdown(recovery.previousShutdownClean() ? FleetVocabulary.SHUTDOWN_CLEAN : FleetVocabulary.SHUTDOWN_UNCLEAN)
                .setRecoveredRecords(recovery.recoveredRecords())
                .build();
    }

    /**
     * The spool dropped samples. Drops happen while Kafka is away, when an event could not be sent:
     * they are added up per family and sent with the next heartbeat that finds Kafka back, one
     * {@code pga.fleet.events} record per family, so that nothing goes silently and no count is lost.
     */
    public void reportDrop(String family, long count) {
        unreportedDrops.merge(family, count, Long::sum);
    }

    /** Sends what {@link #reportDrop} added up, unless the previous round is still on its way. */
    private void sendDropEvents() {
        if (unreportedDrops.isEmpty() || !dropEventsInFlight.compareAndSet(0, 1)) {
            return;
        }
        Map<String, Long> batch = new HashMap<>(unreportedDrops);
        AtomicInteger left = new AtomicInteger(batch.size());
        long spoolMaxBytes = collector.config().operations().spoolMaxBytes();
        batch.forEach((family, count) -> {
            FleetEvent event = FleetEvent.newBuilder()
                    .setCollectorId(collectorId)
                    .setAt(Instant.now())
                    .setKind(FleetVocabulary.KIND_DROPPED)
                    .setFrom(null)
                    .setTo(FleetVocabulary.KIND_DROPPED)
                    .setReason("spool full (" + spoolMaxBytes + " bytes): " + count + " oldest " + family + " samples dropped")
                    .setFamily(family)
                    .setDroppedSamples(count)
                    .build();
            try {
                producer.send(new ProducerRecord<>(Topics.FLEET_EVENTS, collectorId, event), (metadata, error) -> {
                    if (error == null) {
                        unreportedDrops.merge(family, -count, (a, b) -> a + b == 0 ? null : a + b);
                    }
                    if (left.decrementAndGet() == 0) {
                        dropEventsInFlight.set(0);
                    }
                });
            } catch (RuntimeException e) {
                // Kafka is still away: the heartbeat after next tries again, the counts wait.
                if (left.decrementAndGet() == 0) {
                    dropEventsInFlight.set(0);
                }
            }
        });
    }

    /** Sends no more heartbeats; drop events not reported yet wait for {@link #close()}. */
    public void stop() {
        timer.shutdownNow();
    }

    /** Stops, sends the drop counts not reported yet with a last flush, and closes the producer. */
    @Override
    public void close() {
        stop();
        sendDropEvents();
        producer.close(Duration.ofSeconds(2));
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }

    /** What a heartbeat and {@code /health} say the collector does: archived, stopped or running. */
    public static String stateOf(CollectorState collector) {
        if (collector.archived()) {
            return FleetVocabulary.stateName(DesiredState.ARCHIVED);
        }
        return collector.paused() ? FleetVocabulary.STATE_STOPPED : FleetVocabulary.STATE_RUNNING;
    }
}
