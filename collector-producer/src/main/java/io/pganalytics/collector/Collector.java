package io.pganalytics.collector;

import io.pganalytics.collector.catalog.DatabaseStatsSampler;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Target;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.metrics.DatabaseSample;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector agent: samples every configured target at its interval and produces the samples,
 * keyed {@code <collectorId>/<targetId>}, plus a heartbeat of its own.
 *
 * <p>The producer is idempotent with {@code acks=all}, so a retried send never duplicates a sample
 * in a partition; per-target ordering follows from the key. A target whose previous sample is still
 * running is skipped for that round (and counted), so one slow server cannot pile up work.
 */
public final class Collector implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Collector.class);
    /** The version written into heartbeats: the jar's, or "dev" when run from classes. */
    public static final String VERSION = versionOf(Collector.class);

    private final CollectorConfig config;
    private final KafkaProducer<String, GenericContainer> producer;
    private final List<TargetSession> sessions;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService samplers;
    private final Instant startedAt = Instant.now();
    private final String hostname = hostname();
    private final AtomicLong samplesProduced = new AtomicLong();
    private final AtomicLong samplesFailed = new AtomicLong();

    private Collector(CollectorConfig config, Map<String, Object> producerOverrides) {
        this.config = config;
        Map<String, Object> producerConfig = new HashMap<>();
        producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "pga-collector-" + config.collectorId());
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        producerConfig.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        producerConfig.put(AvroSerdeConfig.SCHEMA_REGISTRY_URL, config.schemaRegistryUrl());
        producerConfig.putAll(producerOverrides);
        // Kafka configures only the serializers it instantiates itself, so configure ours here.
        AvroSerializer<GenericContainer> values = new AvroSerializer<>();
        values.configure(producerConfig, false);
        this.producer = new KafkaProducer<>(producerConfig, new StringSerializer(), values);
        this.producer.partitionsFor(Topics.RAW_DATABASE); // fail fast, and warm the metadata
        this.sessions = config.targets().stream().map(TargetSession::new).toList();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "pga-collector-schedule"));
        int threads = Math.max(1, Math.min(8, sessions.size()));
        this.samplers = Executors.newFixedThreadPool(threads, r -> daemon(r, "pga-collector-sampler"));
    }

    /** Starts sampling and heartbeats; {@code producerOverrides} are extra Kafka producer settings. */
    public static Collector start(CollectorConfig config, Map<String, Object> producerOverrides) {
        Collector collector = new Collector(config, producerOverrides);
        collector.scheduler.scheduleAtFixedRate(collector::sampleAll, 0, config.intervalMillis(), TimeUnit.MILLISECONDS);
        collector.scheduler.scheduleAtFixedRate(collector::sendHeartbeat, 0, config.heartbeatIntervalMillis(), TimeUnit.MILLISECONDS);
        LOG.info("collector {} started: {} targets, every {} ms, producing to {}", config.collectorId(),
                config.targets().size(), config.intervalMillis(), Topics.RAW_DATABASE);
        return collector;
    }

    /** Samples produced and acknowledged since start. */
    public long samplesProduced() {
        return samplesProduced.get();
    }

    /** Samples that could not be read or produced since start. */
    public long samplesFailed() {
        return samplesFailed.get();
    }

    private void sampleAll() {
        for (TargetSession session : sessions) {
            if (!session.tryBegin()) {
                samplesFailed.incrementAndGet();
                LOG.warn("target {}: previous sample still running after {} ms, skipping this round",
                        session.target().id(), config.intervalMillis());
                continue;
            }
            samplers.execute(() -> {
                try {
                    sample(session);
                } finally {
                    session.end();
                }
            });
        }
    }

    private void sample(TargetSession session) {
        List<DatabaseSample> samples;
        try {
            samples = session.read((connection, version) ->
                    DatabaseStatsSampler.sample(connection, config.collectorId(), session.target().id(), version));
        } catch (Exception e) {
            samplesFailed.incrementAndGet();
            return; // TargetSession logged the failure once, on the transition
        }
        String key = config.collectorId() + "/" + session.target().id();
        for (int i = 0; i < samples.size(); i++) {
            try {
                producer.send(new ProducerRecord<>(Topics.RAW_DATABASE, key, samples.get(i)), (metadata, error) -> {
                    if (error == null) {
                        samplesProduced.incrementAndGet();
                    } else {
                        samplesFailed.incrementAndGet();
                        LOG.warn("target {}: sample not produced: {}", session.target().id(), error.getMessage());
                    }
                });
            } catch (RuntimeException e) {
                // Serialization (registry unreachable) or a closed producer: count it, say it once per round.
                samplesFailed.addAndGet(samples.size() - i);
                LOG.warn("target {}: {} samples not produced: {}", session.target().id(), samples.size() - i, e.getMessage());
                return;
            }
        }
    }

    private void sendHeartbeat() {
        int healthy = (int) sessions.stream().filter(TargetSession::healthy).count();
        Heartbeat heartbeat = Heartbeat.newBuilder()
                .setCollectorId(config.collectorId())
                .setHostname(hostname)
                .setVersion(VERSION)
                .setStartedAt(startedAt)
                .setSentAt(Instant.now())
                .setIntervalMillis(config.heartbeatIntervalMillis())
                .setTargetsConfigured(sessions.size())
                .setTargetsHealthy(healthy)
                .setSamplesProduced(samplesProduced.get())
                .setSamplesFailed(samplesFailed.get())
                .build();
        try {
            producer.send(new ProducerRecord<>(Topics.FLEET_HEARTBEATS, config.collectorId(), heartbeat), (metadata, error) -> {
                if (error != null) {
                    LOG.warn("collector {}: heartbeat not produced: {}", config.collectorId(), error.getMessage());
                }
            });
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: log and keep the heartbeat alive.
            LOG.warn("collector {}: heartbeat not produced: {}", config.collectorId(), e.getMessage());
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        samplers.shutdown();
        try {
            if (!samplers.awaitTermination(5, TimeUnit.SECONDS)) {
                samplers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
        sessions.forEach(TargetSession::close);
        LOG.info("collector {} stopped: {} samples produced, {} failed", config.collectorId(),
                samplesProduced.get(), samplesFailed.get());
    }

    private static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }

    static String versionOf(Class<?> type) {
        String version = type.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
