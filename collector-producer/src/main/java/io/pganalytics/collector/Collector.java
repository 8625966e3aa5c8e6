package io.pganalytics.collector;

import io.pganalytics.collector.catalog.Catalog;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Target;
import io.pganalytics.collector.family.Collected;
import io.pganalytics.collector.family.StatementsFamily;
import io.pganalytics.collector.schedule.CycleScheduler;
import io.pganalytics.collector.spool.Shipper;
import io.pganalytics.collector.spool.Spool;
import io.pganalytics.collector.spool.SpoolRecord;
import io.pganalytics.collector.fleet.ControlChannel;
import io.pganalytics.collector.fleet.FleetController;
import io.pganalytics.collector.fleet.FleetMembership;
import io.pganalytics.collector.fleet.TargetRegistry;
import io.pganalytics.collector.spool.Recovery;
import io.pganalytics.collector.spool.SpoolUsage;
import io.pganalytics.collector.status.CollectorEndpoint;
import io.pganalytics.collector.status.CollectorMeters;
import io.pganalytics.collector.status.LogLevels;
import io.pganalytics.collector.status.TargetReports;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.EffectiveConfig;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.metrics.QueryText;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>A {@link CycleScheduler} runs one cycle per target every base interval on
 * {@code collector.workers} threads; a cycle reads the target's due families, the plain catalog ones
 * in one round trip. A target whose previous cycle still runs is skipped, so one slow server never
 * piles up work nor delays the others. Targets can be added and removed while it runs, and sampling
 * paused, forced, reconfigured and restarted: what the fleet's remote control calls.
 *
 * <p>Samples and query texts are serialized once, appended to the on-disk {@link Spool} and sent
 * from there by a {@link Shipper}, so that Kafka being slow or away costs disk, not samples (see
 * docs/collector.md, "When Kafka is away"). That producer is idempotent with {@code acks=all}, so a
 * retried send never duplicates a sample in a partition; per-target ordering follows from the key.
 * Heartbeats go through a second, small producer, straight to Kafka: a heartbeat replayed minutes
 * late would only mislead.
 */
public final class Collector implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Collector.class);
    /** The version written into heartbeats: the jar's, or "dev" when run from classes. */
    public static final String VERSION = versionOf(Collector.class);
    /** How often the scheduler looks for cycles whose slot has come: a bound on wakeups, whatever the number of targets. */
    private static final long TICK_MILLIS = 100;
    /** The family query texts count under in the spool's drop counts. */
    public static final String QUERY_TEXTS_FAMILY = "query-texts";
    /** Records the shipper hands the producer at once; the rest of a backlog waits in the spool. */
    private static final int SHIPPER_MAX_IN_FLIGHT = 2_000;
    /** Samples waiting and nothing acknowledged for this long: /health says Kafka does not take them. */
    private static final long KAFKA_STUCK_MILLIS = 60_000;
    /** How long a clean close keeps shipping what is still in the spool. */
    private static final Duration CLOSE_DRAIN = Duration.ofSeconds(5);

    /** Changes only with {@link #reconfigure}; targets added later are in {@link #targets}, not here. */
    private volatile CollectorConfig config;
    private final Catalog catalog;
    /** Heartbeats (and fleet events): never spooled. */
    private final KafkaProducer<String, GenericContainer> producer;
    /** Samples and query texts, from the spool. */
    private final KafkaProducer<String, byte[]> samplesProducer;
    private final AvroSerializer<GenericContainer> values;
    private final Spool spool;
    private final Shipper shipper;
    /** As configured at start: what an empty {@code pga.fleet.config} override goes back to. */
    private final CollectorConfig startConfig;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private volatile String logLevel;
    private volatile long lastAckMillis;
    /** Samples the spool dropped per family and no pga.fleet.events record has reported yet. */
    private final Map<String, Long> unreportedDrops = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger dropEventsInFlight = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean closing;
    private CollectorEndpoint endpoint;
    private AutoCloseable gcMeters;
    private FleetMembership membership;
    private ControlChannel control;
    private final Map<String, Target> targets = new ConcurrentHashMap<>();
    private final Map<String, TargetSession> sessions = new ConcurrentHashMap<>();
    private final Set<String> topicsChecked = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService scheduler;
    private final ScheduledExecutorService ticker;
    private final ExecutorService samplers;
    private final CycleScheduler cycles;
    private final Instant startedAt = Instant.now();
    private final String hostname = hostname();
    private final AtomicLong samplesProduced = new AtomicLong();
    private final AtomicLong samplesFailed = new AtomicLong();
    private final AtomicLong queryTextsProduced = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private Collector(CollectorConfig config, Map<String, Object> producerOverrides) {
        this.config = config;
        this.startConfig = config;
        this.catalog = Catalog.load(); // fails at start on a broken catalog, not later on some server
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
        config.targets().forEach(t -> {
            targets.put(t.id(), t);
            sessions.put(t.id(), new TargetSession(t, config, catalog));
        });
        checkTopics(List.of(Topics.RAW_DATABASE, Topics.RAW_QUERY_TEXTS));
        sessions.values().forEach(s -> checkTopics(s.families().stream().map(Topics::raw).toList()));
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
            reportDrop(family, count);
        });
        this.shipper = Shipper.start(spool, samplesProducer, new Shipper.Outcome() {
            @Override
            public void acknowledged(SpoolRecord record) {
                lastAckMillis = System.currentTimeMillis();
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
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "pga-collector-cycles"));
        this.samplers = Executors.newFixedThreadPool(config.operations().workers(), r -> daemon(r, "pga-collector-worker"));
        this.cycles = new CycleScheduler(config.intervalMillis(), samplers, System::currentTimeMillis, this::cycle);
        sessions.keySet().forEach(cycles::add);
    }

    /**
     * Fails on a missing topic, naming it: a send to a topic that does not exist would otherwise
     * block a worker for max.block.ms on every cycle. Also warms the metadata.
     */
    private void checkTopics(List<String> topics) {
        for (String topic : new TreeSet<>(topics)) {
            if (!topicsChecked.contains(topic)) {
                samplesProducer.partitionsFor(topic);
                topicsChecked.add(topic);
            }
        }
    }

    /** Starts sampling and heartbeats; {@code producerOverrides} are extra Kafka producer settings. */
    public static Collector start(CollectorConfig config, Map<String, Object> producerOverrides) {
        return start(config, producerOverrides, Map.of());
    }

    /**
     * Starts sampling, heartbeats, the remote control channel ({@code pga.fleet.config} and
     * {@code pga.fleet.control}), the fleet membership when {@code collector.fleet.group} is set,
     * and the {@code /metrics} and {@code /health} endpoint when {@code collector.http.port} is.
     *
     * @param producerOverrides extra Kafka producer settings
     * @param fleetConsumerOverrides extra settings of the fleet membership's consumer (e.g.
     *        {@link FleetMembership#DO_NOT_LEAVE_GROUP_ON_CLOSE} for tests that let a collector die)
     */
    public static Collector start(CollectorConfig config, Map<String, Object> producerOverrides,
                                  Map<String, Object> fleetConsumerOverrides) {
        Collector collector = new Collector(config, producerOverrides);
        try {
            collector.ticker.scheduleWithFixedDelay(collector::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
            collector.scheduler.scheduleAtFixedRate(collector::sendHeartbeat, 0, config.heartbeatIntervalMillis(), TimeUnit.MILLISECONDS);
            collector.gcMeters = CollectorMeters.bind(collector.meters, collector);
            if (config.operations().httpPort() >= 0) {
                collector.endpoint = CollectorEndpoint.start(config.operations().httpPort(), collector.meters, collector::health);
            }
            collector.control = ControlChannel.start(config, FleetController.of(collector::pause, collector::resume,
                    collector::restart, collector::collectNow, collector::reconfigure, collector::setLogLevel), Map.of());
            if (config.operations().fleetGroup() != null) {
                collector.membership = FleetMembership.start(config,
                        TargetRegistry.of(collector::addFleetTarget, collector::removeTarget), fleetConsumerOverrides);
            }
        } catch (java.io.IOException | RuntimeException e) {
            collector.close();
            throw e instanceof RuntimeException r ? r
                    : new IllegalArgumentException(CollectorConfig.HTTP_PORT + ": cannot listen: " + e.getMessage(), e);
        }
        Recovery recovery = collector.spool.recovery();
        LOG.info("collector {} started: {} targets{}, preset {}, base interval {} ms, {} workers{}", config.collectorId(),
                config.targets().size(), config.operations().fleetGroup() == null ? "" : " plus its share of fleet " + config.operations().fleetGroup(),
                config.preset().configName(), config.intervalMillis(), config.operations().workers(),
                recovery.previousShutdownClean() ? "" : "; the previous run did not stop cleanly, " + recovery.recoveredRecords()
                        + " spooled samples are sent again");
        return collector;
    }

    /** A fleet target: refused ones are logged, never thrown at the membership's poll thread. */
    private void addFleetTarget(Target target) {
        try {
            addTarget(target);
        } catch (RuntimeException e) {
            LOG.warn("collector {}: fleet target {} not monitored: {}", config.collectorId(), target.id(), e.getMessage());
        }
    }

    /** The port of {@code /metrics} and {@code /health}, or -1 when they are off. */
    public int httpPort() {
        return endpoint == null ? -1 : endpoint.port();
    }

    /** The log level set remotely, or null for the configured one. */
    public void setLogLevel(String level) {
        logLevel = LogLevels.set(level);
        LOG.info("collector {}: log level {}", config.collectorId(), logLevel == null ? "as configured" : logLevel);
    }

    /** What {@code /health} says: up while sampling (or deliberately stopped) and Kafka takes what is produced. */
    CollectorEndpoint.Health health() {
        SpoolUsage usage = spool.usage();
        long sinceAck = System.currentTimeMillis() - Math.max(lastAckMillis, startedAt.toEpochMilli());
        boolean kafkaStuck = usage.pendingRecords() > 0 && sinceAck > KAFKA_STUCK_MILLIS;
        boolean up = !closing && !kafkaStuck;
        String details = "{\"state\":\"" + (paused() ? io.pganalytics.schemas.fleet.FleetVocabulary.STATE_STOPPED : io.pganalytics.schemas.fleet.FleetVocabulary.STATE_RUNNING) + "\",\"targets\":" + sessions.size()
                + ",\"targetsHealthy\":" + sessions.values().stream().filter(TargetSession::healthy).count()
                + ",\"kafka\":\"" + (kafkaStuck ? "nothing acknowledged for " + sinceAck / 1000 + " s" : "ok") + "\""
                + ",\"spoolPendingRecords\":" + usage.pendingRecords() + ",\"spoolUsedBytes\":" + usage.usedBytes() + "}";
        return new CollectorEndpoint.Health(up, details);
    }

    /**
     * The spool dropped samples. Drops happen while Kafka is away, when an event could not be sent:
     * they are added up per family and sent with the next heartbeat that finds Kafka back, one
     * {@code pga.fleet.events} record per family, so that nothing goes silently and no count is lost.
     */
    private void reportDrop(String family, long count) {
        unreportedDrops.merge(family, count, Long::sum);
    }

    /** Sends what {@link #reportDrop} added up, unless the previous round is still on its way. */
    private void sendDropEvents() {
        if (unreportedDrops.isEmpty() || !dropEventsInFlight.compareAndSet(0, 1)) {
            return;
        }
        Map<String, Long> batch = new HashMap<>(unreportedDrops);
        java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(batch.size());
        batch.forEach((family, count) -> {
            FleetEvent event = FleetEvent.newBuilder()
                    .setCollectorId(config.collectorId())
                    .setAt(Instant.now())
                    .setKind(io.pganalytics.schemas.fleet.FleetVocabulary.KIND_DROPPED)
                    .setFrom(null)
                    .setTo(io.pganalytics.schemas.fleet.FleetVocabulary.KIND_DROPPED)
                    .setReason("spool full (" + config.operations().spoolMaxBytes() + " bytes): " + count + " oldest " + family
                            + " samples dropped")
                    .setFamily(family)
                    .setDroppedSamples(count)
                    .build();
            try {
                producer.send(new ProducerRecord<>(Topics.FLEET_EVENTS, config.collectorId(), event), (metadata, error) -> {
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

    /** Cycles run to the end since start, successful or not. */
    public long cyclesRun() {
        return cycles.cyclesRun();
    }

    /** Cycles skipped since start: the target's previous cycle still ran, or none of the workers was free before its next slot. */
    public long cyclesSkipped() {
        return cycles.cyclesSkipped();
    }

    /** Of {@link #cyclesSkipped()}, those that found no free worker before their next slot: the workers are too few. */
    public long cyclesOverdue() {
        return cycles.cyclesOverdue();
    }

    /** Every target's status: connection, last cycle's duration, and per family the last success or the failure and its reason. */
    public List<TargetStatus> status() {
        return sessions.values().stream().map(TargetSession::status)
                .sorted(Comparator.comparing(TargetStatus::targetId)).toList();
    }

    /** The session of one target, whose {@link TargetSession#collect} reads one family now. */
    public TargetSession session(String targetId) {
        TargetSession session = sessions.get(targetId);
        if (session == null) {
            throw new IllegalArgumentException("no target " + targetId);
        }
        return session;
    }

    /** The targets this collector monitors. */
    public Set<String> targetIds() {
        return new TreeSet<>(sessions.keySet());
    }

    /**
     * Monitors {@code target} from its next slot on; a target of the same id is replaced, its
     * connection closed once a running cycle ends.
     *
     * @throws IllegalArgumentException the target is invalid, saying why
     */
    public void addTarget(Target target) {
        try {
            config.withTargets(List.of(target)); // the same checks as configured targets get
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("target " + target.id() + ": " + e.getMessage().replace("collector.targets[0].", ""), e);
        }
        TargetSession session = new TargetSession(target, config, catalog);
        checkTopics(session.families().stream().map(Topics::raw).toList());
        targets.put(target.id(), target);
        TargetSession replaced = sessions.put(target.id(), session);
        if (replaced != null) {
            replaced.retire();
        }
        cycles.add(target.id());
        LOG.info("collector {}: target {} {}", config.collectorId(), target.id(), replaced == null ? "added" : "replaced");
    }

    /**
     * Stops monitoring a target; its connection closes once a running cycle ends. Never waits for it.
     *
     * @return whether the target was monitored
     */
    public boolean removeTarget(String targetId) {
        targets.remove(targetId);
        cycles.remove(targetId);
        TargetSession session = sessions.remove(targetId);
        if (session != null) {
            session.retire();
            LOG.info("collector {}: target {} removed", config.collectorId(), targetId);
        }
        return session != null;
    }

    /** Samples nothing until {@link #resume()}; connections stay open and heartbeats go on. */
    public void pause() {
        cycles.pause();
        LOG.info("collector {}: paused", config.collectorId());
    }

    /** Samples again, from each target's next slot. */
    public void resume() {
        cycles.resume();
        LOG.info("collector {}: resumed", config.collectorId());
    }

    public boolean paused() {
        return cycles.paused();
    }

    /**
     * Reads every job of every target once now, whatever their schedule and even while paused (an
     * operator asked for it); a target whose cycle is running does it right after.
     *
     * @return the number of targets asked
     */
    public int collectNow() {
        int targetCount = cycles.collectNow();
        LOG.info("collector {}: collecting every family of {} targets now", config.collectorId(), targetCount);
        return targetCount;
    }

    /**
     * Reads families at other intervals on every target from now on, as
     * {@code collector.families.<family>.interval.ms} would (0 turns one off); connections and
     * per-family state (statements baselines, texts sent) stay.
     *
     * @throws IllegalArgumentException an unknown family or a bad interval, naming the key
     */
    public void reconfigure(Map<String, Long> familyIntervalMillis) {
        Map<String, Long> intervals = new HashMap<>(startConfig.familyIntervalMillis());
        intervals.putAll(familyIntervalMillis); // the fleet's overrides on top of the collector's own
        CollectorConfig next = config.withFamilyIntervals(intervals);
        config = next;
        for (TargetSession session : sessions.values()) {
            session.reschedule(next, catalog);
            checkTopics(session.families().stream().map(Topics::raw).toList());
        }
        LOG.info("collector {}: family intervals now {}", next.collectorId(), new java.util.TreeMap<>(familyIntervalMillis));
    }

    /**
     * Closes every target's connection and starts over with new sessions for the current targets and
     * configuration: per-family state starts afresh (statements send every entry once more). A
     * running cycle finishes on its old session first.
     */
    public void restart() {
        for (Target target : targets.values()) {
            TargetSession replaced = sessions.put(target.id(), new TargetSession(target, config, catalog));
            if (replaced != null) {
                replaced.retire();
            }
        }
        LOG.info("collector {}: restarted {} target sessions", config.collectorId(), targets.size());
    }

    private void tick() {
        try {
            cycles.tick();
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: log and keep scheduling.
            LOG.warn("collector {}: scheduling round failed: {}", config.collectorId(), e.toString());
        }
    }

    /** One cycle of one target, on a worker: its due jobs (or all), the plain catalog families in one round trip. */
    private void cycle(String targetId, boolean everyJob) {
        TargetSession session = sessions.get(targetId);
        // Busy: the old session of a target just replaced still finishes its cycle.
        if (session == null || !session.tryBegin()) {
            return;
        }
        long start = System.nanoTime();
        try {
            collect(session, everyJob ? session.jobs() : session.due(System.currentTimeMillis()));
        } finally {
            session.end((System.nanoTime() - start) / 1_000_000);
        }
    }

    private void collect(TargetSession session, List<String> due) {
        List<String> rest = due;
        List<String> together = session.readableTogether(due);
        if (together.size() > 1) {
            Map<String, Collected> read;
            try {
                read = session.collectTogether(together);
            } catch (java.sql.SQLException e) {
                samplesFailed.addAndGet(together.size());
                List<String> others = new ArrayList<>(due);
                others.removeAll(together);
                session.defer(others, unresponsive(e, "the other families"));
                return;
            }
            if (!read.isEmpty()) {
                read.values().forEach(collected -> produce(session, collected));
                rest = new ArrayList<>(due);
                rest.removeAll(together);
            }
        }
        for (int i = 0; i < rest.size(); i++) {
            String unresponsive = collectAndProduce(session, rest.get(i));
            if (unresponsive != null) {
                // A server that timed out or dropped the connection would make every other due
                // family wait for its own deadline too: put them off to their next interval.
                session.defer(rest.subList(i + 1, rest.size()), unresponsive);
                break;
            }
        }
    }

    /** Why the target is not worth another query this cycle, or null when the failure was the query's own. */
    private static String unresponsive(java.sql.SQLException e, String job) {
        String state = e.getSQLState();
        if (state != null && state.startsWith("08")) {
            return "cannot connect: " + e.getMessage();
        }
        return "57014".equals(state) ? "not read: " + job + " timed out first" : "not read: " + e.getMessage();
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
            return state != null && (state.startsWith("08") || "57014".equals(state)) ? unresponsive(e, job) : null;
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
        TargetSession session = sessions.get(targetId);
        StatementsFamily statements = session == null ? null : session.statements();
        if (statements != null) {
            statements.forgetText(Long.parseLong(key.substring(slash + 1)));
        }
    }

    private void forgetAllTexts() {
        for (TargetSession session : sessions.values()) {
            StatementsFamily statements = session.statements();
            if (statements != null) {
                statements.forgetAllTexts();
            }
        }
    }

    private void sendHeartbeat() {
        sendDropEvents();
        Heartbeat heartbeat;
        try {
            heartbeat = heartbeat();
        } catch (RuntimeException e) {
            LOG.warn("collector {}: heartbeat not built: {}", config.collectorId(), e.toString());
            return;
        }
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

    /** The status report: identity, health per owned target, effective configuration, spool and drops. */
    Heartbeat heartbeat() {
        List<TargetStatus> statuses = status();
        TargetReports.Selection reports = TargetReports.of(statuses);
        SpoolUsage usage = spool.usage();
        Recovery recovery = spool.recovery();
        CollectorConfig now = config;
        Instant sentAt = Instant.now();
        return Heartbeat.newBuilder()
                .setCollectorId(now.collectorId())
                .setHostname(hostname)
                .setVersion(VERSION)
                .setStartedAt(startedAt)
                .setSentAt(sentAt)
                .setIntervalMillis(now.heartbeatIntervalMillis())
                .setTargetsConfigured(statuses.size())
                .setTargetsHealthy((int) statuses.stream().filter(TargetStatus::connected).count())
                .setSamplesProduced(samplesProduced.get())
                .setSamplesFailed(samplesFailed.get())
                .setUptimeMillis(sentAt.toEpochMilli() - startedAt.toEpochMilli())
                .setState(paused() ? io.pganalytics.schemas.fleet.FleetVocabulary.STATE_STOPPED : io.pganalytics.schemas.fleet.FleetVocabulary.STATE_RUNNING)
                .setEffectiveConfig(EffectiveConfig.newBuilder()
                        .setPreset(now.preset().configName())
                        .setBaseIntervalMillis(now.intervalMillis())
                        .setFamilyIntervalMillis(new HashMap<>(now.familyIntervalMillis()))
                        .setWorkers(now.operations().workers())
                        .setFleetGroup(now.operations().fleetGroup())
                        .setLogLevel(logLevel)
                        .build())
                .setTargets(reports.reports())
                .setTargetsOmitted(reports.omitted())
                .setCyclesSkipped(cycles.cyclesSkipped())
                .setBufferUsedBytes(bufferUsedBytes())
                .setSpoolUsedBytes(usage.usedBytes())
                .setSpoolCapacityBytes(usage.capacityBytes())
                .setSpoolPendingRecords(usage.pendingRecords())
                .setDroppedByFamily(new HashMap<>(spool.droppedByFamily()))
                .setPreviousShutdown(recovery.previousShutdownClean() ? io.pganalytics.schemas.fleet.FleetVocabulary.SHUTDOWN_CLEAN : io.pganalytics.schemas.fleet.FleetVocabulary.SHUTDOWN_UNCLEAN)
                .setRecoveredRecords(recovery.recoveredRecords())
                .build();
    }

    /** Bytes the samples producer holds in memory now: what a kill -9 would lose beyond the spool. */
    long bufferUsedBytes() {
        double total = 0;
        double available = 0;
        for (var metric : samplesProducer.metrics().entrySet()) {
            String name = metric.getKey().name();
            if (name.equals("buffer-total-bytes")) {
                total = ((Number) metric.getValue().metricValue()).doubleValue();
            } else if (name.equals("buffer-available-bytes")) {
                available = ((Number) metric.getValue().metricValue()).doubleValue();
            }
        }
        return (long) Math.max(0, total - available);
    }

    /** The collector's meters, as {@code /metrics} serves them. */
    public PrometheusMeterRegistry meters() {
        return meters;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closing = true;
        // Leave the fleet first, so that the others take this collector's targets at once.
        closeQuietly(membership);
        closeQuietly(control);
        closeQuietly(endpoint);
        cycles.pause(); // cycles still queued return at once instead of running against a closing producer
        ticker.shutdownNow();
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
        sendDropEvents(); // counts not reported yet go out with the last flush
        producer.close(Duration.ofSeconds(2));
        sessions.values().forEach(TargetSession::close);
        closeQuietly(gcMeters);
        meters.close();
        LOG.info("collector {} stopped: {} samples produced, {} failed", config.collectorId(),
                samplesProduced.get(), samplesFailed.get());
    }

    private void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.warn("collector {}: {} did not close cleanly: {}", config.collectorId(), closeable.getClass().getSimpleName(), e.toString());
        }
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
