package io.pganalytics.collector;

import io.pganalytics.collector.catalog.Catalog;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.family.Collected;
import io.pganalytics.collector.family.StatementsFamily;
import io.pganalytics.collector.spool.Shipper;
import io.pganalytics.collector.spool.Spool;
import io.pganalytics.collector.spool.SpoolRecord;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.metrics.QueryText;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector agent: reads every configured target's families at their intervals (chosen by the
 * preset, overridable per family and target), and produces each family's samples to
 * {@code pga.raw.<family>} keyed {@code <collectorId>/<targetId>}, query texts to
 * {@code pga.raw.query-texts} keyed {@code <targetId>/<queryid>}, plus a heartbeat of its own.
 *
 * <p>Samples and query texts are serialized once, appended to the on-disk {@link Spool} and sent
 * from there by a {@link Shipper}, so that Kafka being slow or away costs disk, not samples (see
 * docs/collector.md, "When Kafka is away"). That producer is idempotent with {@code acks=all}, so a
 * retried send never duplicates a sample in a partition; per-target ordering follows from the key.
 * Heartbeats go through a second, small producer, straight to Kafka: a heartbeat replayed minutes
 * late would only mislead. A scheduler thread hands each target
 * with due families to a worker pool; a target whose previous round is still running is left alone
 * until it finishes, so one slow server never piles up work nor delays the others.
 */
public final class Collector implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Collector.class);
    /** The version written into heartbeats: the jar's, or "dev" when run from classes. */
    public static final String VERSION = versionOf(Collector.class);
    /** How often the scheduler looks for due families. */
    private static final long TICK_MILLIS = 250;
    /** The family query texts count under in the spool's drop counts. */
    public static final String QUERY_TEXTS_FAMILY = "query-texts";
    /** Records the shipper hands the producer at once; the rest of a backlog waits in the spool. */
    private static final int SHIPPER_MAX_IN_FLIGHT = 2_000;
    /** How long a clean close keeps shipping what is still in the spool. */
    private static final Duration CLOSE_DRAIN = Duration.ofSeconds(5);

    private final CollectorConfig config;
    /** Heartbeats (and fleet events): never spooled. */
    private final KafkaProducer<String, GenericContainer> producer;
    /** Samples and query texts, from the spool. */
    private final KafkaProducer<String, byte[]> samplesProducer;
    private final AvroSerializer<GenericContainer> values;
    private final Spool spool;
    private final Shipper shipper;
    private final List<TargetSession> sessions;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService samplers;
    private final Instant startedAt = Instant.now();
    private final String hostname = hostname();
    private final AtomicLong samplesProduced = new AtomicLong();
    private final AtomicLong samplesFailed = new AtomicLong();
    private final AtomicLong queryTextsProduced = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private Collector(CollectorConfig config, Map<String, Object> producerOverrides) {
        this.config = config;
        Catalog catalog = Catalog.load(); // fails at start on a broken catalog, not later on some server
        Map<String, Object> producerConfig = new HashMap<>();
        producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(AvroSerdeConfig.SCHEMA_REGISTRY_URL, config.schemaRegistryUrl());
        Map<String, Object> heartbeatConfig = new HashMap<>(producerConfig);
        heartbeatConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "pga-collector-" + config.collectorId() + "-status");
        // A heartbeat older than a few intervals is worthless: give up on it rather than queue it.
        // While Kafka is away the producer forgets its metadata (metadata.recovery.strategy=rebootstrap,
        // Kafka 4's default) and a send would wait max.block.ms for it, on the thread that heartbeats:
        // keep that wait short, the heartbeat could not go anyway.
        heartbeatConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 100);
        heartbeatConfig.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        heartbeatConfig.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        heartbeatConfig.putAll(producerOverrides);
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "pga-collector-" + config.collectorId());
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        producerConfig.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        // The spool, not the producer, holds what Kafka has not taken: the shipper hands the producer
        // at most SHIPPER_MAX_IN_FLIGHT records, and the producer retries them for as long as Kafka is
        // away (no delivery timeout). A finite delivery.timeout.ms would be worse twice over: on
        // expiry the idempotent producer resets the partition's sequence, so a later batch of the same
        // key can be written before the expired one is resent (reordering), and a 2-minute outage
        // would turn into a storm of failures and resends. max.block.ms stays short so that a send
        // needing metadata fails (retriable: the shipper resends) instead of parking the shipper.
        producerConfig.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
        producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        producerConfig.putAll(producerOverrides);
        // Kafka configures only the serializers it instantiates itself, so configure ours here.
        this.values = new AvroSerializer<>();
        values.configure(producerConfig, false);
        AvroSerializer<GenericContainer> heartbeats = new AvroSerializer<>();
        heartbeats.configure(heartbeatConfig, false);
        this.producer = new KafkaProducer<>(heartbeatConfig, new StringSerializer(), heartbeats);
        this.samplesProducer = new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer());
        this.sessions = config.targets().stream().map(t -> new TargetSession(t, config, catalog)).toList();
        // Fail at start on a missing topic, naming it: a send to a topic that does not exist would
        // otherwise block a worker for max.block.ms on every cycle. Also warms the metadata.
        var topics = new java.util.TreeSet<String>(List.of(Topics.RAW_DATABASE, Topics.RAW_QUERY_TEXTS));
        sessions.forEach(s -> s.families().forEach(family -> topics.add(Topics.raw(family))));
        topics.forEach(this.samplesProducer::partitionsFor);
        try {
            this.producer.partitionsFor(Topics.FLEET_HEARTBEATS); // starts the fetch: 100 ms is short on a busy host
        } catch (org.apache.kafka.common.errors.TimeoutException notYet) {
            // the first heartbeat may go missing; the fetch goes on in the background
        }
        this.spool = Spool.open(config.operations().spoolDir(), config.operations().spoolMaxBytes());
        spool.addDropListener((family, count) -> {
            if (QUERY_TEXTS_FAMILY.equals(family)) {
                forgetAllTexts(); // which texts went is not known here: send every text again
            }
        });
        this.shipper = Shipper.start(spool, samplesProducer, new Shipper.Outcome() {
            @Override
            public void acknowledged(SpoolRecord record) {
                (QUERY_TEXTS_FAMILY.equals(record.family()) ? queryTextsProduced : samplesProduced).incrementAndGet();
            }

            @Override
            public void rejected(SpoolRecord record, Exception error) {
                if (QUERY_TEXTS_FAMILY.equals(record.family())) {
                    forgetText(record.key());
                } else {
                    samplesFailed.incrementAndGet();
                }
            }
        }, SHIPPER_MAX_IN_FLIGHT, "pga-collector-shipper");
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "pga-collector-schedule"));
        int threads = Math.max(1, Math.min(8, sessions.size()));
        this.samplers = Executors.newFixedThreadPool(threads, r -> daemon(r, "pga-collector-sampler"));
    }

    /** Starts sampling and heartbeats; {@code producerOverrides} are extra Kafka producer settings. */
    public static Collector start(CollectorConfig config, Map<String, Object> producerOverrides) {
        Collector collector = new Collector(config, producerOverrides);
        collector.scheduler.scheduleWithFixedDelay(collector::sampleDue, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
        collector.scheduler.scheduleAtFixedRate(collector::sendHeartbeat, 0, config.heartbeatIntervalMillis(), TimeUnit.MILLISECONDS);
        LOG.info("collector {} started: {} targets, preset {}, base interval {} ms", config.collectorId(),
                config.targets().size(), config.preset().configName(), config.intervalMillis());
        return collector;
    }

    /**
     * The spool samples wait in for Kafka: {@link Spool#usage()}, {@link Spool#droppedByFamily()},
     * {@link Spool#recovery()} and {@link Spool#addDropListener} for the heartbeat and fleet events.
     */
    public Spool spool() {
        return spool;
    }

    /** The shipper and its producer's metrics, for tests that need to say why a spool does not drain. */
    String shipperDiagnostics() {
        StringBuilder out = new StringBuilder("inFlight=" + shipper.inFlight());
        samplesProducer.metrics().forEach((name, metric) -> {
            if (name.group().equals("producer-metrics") && List.of("record-send-total", "record-retry-total", "record-error-total",
                    "requests-in-flight", "buffer-available-bytes", "waiting-threads", "batch-split-total").contains(name.name())) {
                out.append(", ").append(name.name()).append('=').append(metric.metricValue());
            }
        });
        return out.toString();
    }

    /** Samples produced and acknowledged by Kafka since start. */
    public long samplesProduced() {
        return samplesProduced.get();
    }

    /** Samples that could not be read or produced since start. */
    public long samplesFailed() {
        return samplesFailed.get();
    }

    /** Query texts produced and acknowledged since start. */
    public long queryTextsProduced() {
        return queryTextsProduced.get();
    }

    /** Every target's status: connection, and per family the last success or the failure and its reason. */
    public List<TargetStatus> status() {
        return sessions.stream().map(TargetSession::status).toList();
    }

    /** The session of one target, whose {@link TargetSession#collect} reads one family now. */
    public TargetSession session(String targetId) {
        return sessions.stream().filter(s -> s.target().id().equals(targetId)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no target " + targetId));
    }

    private void sampleDue() {
        try {
            scheduleDue();
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: log and keep scheduling.
            LOG.warn("collector {}: scheduling round failed: {}", config.collectorId(), e.toString());
        }
    }

    private void scheduleDue() {
        long now = System.currentTimeMillis();
        for (TargetSession session : sessions) {
            // Claim the session first: a session still busy with its previous round is skipped without
            // touching its lock, so one slow target never holds up this thread and the others.
            if (!session.tryBegin()) {
                continue;
            }
            List<String> due = session.due(now);
            if (due.isEmpty()) {
                session.end();
                continue;
            }
            samplers.execute(() -> {
                try {
                    for (int i = 0; i < due.size(); i++) {
                        String unresponsive = collectAndProduce(session, due.get(i));
                        if (unresponsive != null) {
                            // A server that timed out or dropped the connection would make every other due
                            // family wait for its own deadline too: put them off to their next interval.
                            session.defer(due.subList(i + 1, due.size()), unresponsive);
                            break;
                        }
                    }
                } finally {
                    session.end();
                }
            });
        }
    }

    /**
     * Reads one family of one target and produces what it read; failures are counted and in the
     * status. Returns why the target is unresponsive (it did not answer in time or cannot be
     * connected to), or null.
     */
    String collectAndProduce(TargetSession session, String job) {
        Collected collected;
        try {
            collected = session.collect(job);
        } catch (java.sql.SQLException e) {
            samplesFailed.incrementAndGet();
            // TargetSession logged it once and put it in the target's status.
            String state = e.getSQLState();
            if (state != null && state.startsWith("08")) {
                return "cannot connect: " + e.getMessage();
            }
            return "57014".equals(state) ? "not read: " + job + " timed out first" : null;
        } catch (RuntimeException e) {
            samplesFailed.incrementAndGet();
            return null;
        }
        produce(session, collected);
        return null;
    }

    private void produce(TargetSession session, Collected collected) {
        String targetId = session.target().id();
        String key = config.collectorId() + "/" + targetId;
        String topic = Topics.raw(collected.family());
        List<GenericRecord> samples = collected.samples();
        List<SpoolRecord> records = new ArrayList<>(samples.size() + collected.queryTexts().size());
        for (int i = 0; i < samples.size(); i++) {
            GenericRecord sample = samples.get(i);
            try {
                records.add(new SpoolRecord(collected.family(), topic, key, values.serialize(topic, sample), sampledAtMillis(sample)));
            } catch (RuntimeException e) {
                // Serialization (registry unreachable): count it, say it once per round.
                samplesFailed.addAndGet(samples.size() - i);
                LOG.warn("target {}: {} {} samples not produced: {}", targetId, samples.size() - i, collected.family(), e.getMessage());
                break;
            }
        }
        int sampleRecords = records.size();
        List<QueryText> texts = new ArrayList<>();
        for (QueryText text : collected.queryTexts()) {
            try {
                records.add(new SpoolRecord(QUERY_TEXTS_FAMILY, Topics.RAW_QUERY_TEXTS, targetId + "/" + text.getQueryid(),
                        values.serialize(Topics.RAW_QUERY_TEXTS, text), text.getFirstSeenAt() == null ? 0 : text.getFirstSeenAt().toEpochMilli()));
                texts.add(text);
            } catch (RuntimeException e) {
                forgetText(session, text);
            }
        }
        try {
            spool.append(records);
        } catch (RuntimeException e) {
            // The disk is full or gone: these records never made it in the spool.
            samplesFailed.addAndGet(sampleRecords);
            texts.forEach(text -> forgetText(session, text));
            LOG.warn("target {}: {} {} samples not spooled: {}", targetId, sampleRecords, collected.family(), e.getMessage());
        }
    }

    private static long sampledAtMillis(GenericRecord sample) {
        // Generic records hold timestamp-micros as the underlying long.
        Object at = sample.hasField("sampledAt") ? sample.get("sampledAt") : null;
        if (at instanceof Long micros) {
            return micros / 1000;
        }
        return at instanceof Instant instant ? instant.toEpochMilli() : System.currentTimeMillis();
    }

    private void forgetText(TargetSession session, QueryText text) {
        StatementsFamily statements = session.statements();
        if (statements != null) {
            statements.forgetText(text.getQueryid()); // sent again next cycle
        }
    }

    /** A query-text record Kafka refused for good: its key is {@code <targetId>/<queryid>}. */
    private void forgetText(String key) {
        int slash = key.lastIndexOf('/');
        String targetId = key.substring(0, slash);
        for (TargetSession session : sessions) {
            StatementsFamily statements = session.target().id().equals(targetId) ? session.statements() : null;
            if (statements != null) {
                statements.forgetText(Long.parseLong(key.substring(slash + 1)));
            }
        }
    }

    private void forgetAllTexts() {
        for (TargetSession session : sessions) {
            StatementsFamily statements = session.statements();
            if (statements != null) {
                statements.forgetAllTexts();
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
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        scheduler.shutdownNow();
        samplers.shutdown();
        try {
            if (!samplers.awaitTermination(5, TimeUnit.SECONDS)) {
                samplers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Ship what the spool still holds for a moment, then keep the rest on disk for the next run.
        shipper.close(CLOSE_DRAIN);
        samplesProducer.close(Duration.ofSeconds(1));
        spool.close();
        producer.close(Duration.ofSeconds(2));
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
