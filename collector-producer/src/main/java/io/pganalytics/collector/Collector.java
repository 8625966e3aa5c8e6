package io.pganalytics.collector;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pganalytics.collector.catalog.Catalog;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Target;
import io.pganalytics.collector.family.Collected;
import io.pganalytics.collector.fleet.ControlChannel;
import io.pganalytics.collector.fleet.FleetController;
import io.pganalytics.collector.fleet.FleetMembership;
import io.pganalytics.collector.fleet.TargetRegistry;
import io.pganalytics.collector.produce.SampleProducer;
import io.pganalytics.collector.registration.CollectorRegistration;
import io.pganalytics.collector.schedule.CycleScheduler;
import io.pganalytics.collector.spool.Recovery;
import io.pganalytics.collector.spool.Spool;
import io.pganalytics.collector.spool.SpoolUsage;
import io.pganalytics.collector.status.CollectorEndpoint;
import io.pganalytics.collector.status.CollectorMeters;
import io.pganalytics.collector.status.CollectorState;
import io.pganalytics.collector.status.HealthDetails;
import io.pganalytics.collector.status.HeartbeatReporter;
import io.pganalytics.collector.status.LogLevels;
import io.pganalytics.collector.status.LogShipper;
import io.pganalytics.collector.targets.CycleSink;
import io.pganalytics.collector.targets.TargetSession;
import io.pganalytics.collector.targets.TargetSessions;
import io.pganalytics.collector.targets.TargetStatus;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector agent: reads every configured target's families at their intervals (chosen by the
 * preset, overridable per family and target), and produces each family's samples to
 * {@code pga.raw.<family>} keyed {@code <collectorId>/<targetId>}, query texts to
 * {@code pga.raw.query-texts} keyed {@code <targetId>/<queryid>}, plus a heartbeat of its own.
 *
 * <p>This class wires the parts together and is what the fleet's remote control calls: the targets
 * and their sessions ({@link TargetSessions}), run one cycle per target every base interval on
 * {@code collector.workers} threads by a {@link CycleScheduler}; what they read goes to the
 * {@link SampleProducer} (spool first, then Kafka); the {@link HeartbeatReporter}, {@code /metrics}
 * and {@code /health} say how it goes. A target whose previous cycle still runs is skipped, so one
 * slow server never piles up work nor delays the others. Targets can be added and removed while it
 * runs, and sampling paused, forced, reconfigured and restarted.
 */
public final class Collector implements AutoCloseable, CollectorState {

    private static final Logger LOG = LoggerFactory.getLogger(Collector.class);
    /** The version written into heartbeats: the jar's, or "dev" when run from classes. */
    public static final String VERSION = versionOf(Collector.class);
    /** How often the scheduler looks for cycles whose slot has come: a bound on wakeups, whatever the number of targets. */
    private static final long TICK_MILLIS = 100;
    /** The family query texts count under in the spool's drop counts. */
    public static final String QUERY_TEXTS_FAMILY = SampleProducer.QUERY_TEXTS_FAMILY;
    /** Samples waiting and nothing acknowledged for this long: /health says Kafka does not take them. */
    private static final long KAFKA_STUCK_MILLIS = 60_000;
    /** How long a clean close keeps shipping what is still in the spool. */
    private static final Duration CLOSE_DRAIN = Duration.ofSeconds(5);

    /** Changes only with {@link #reconfigure}; targets added later are in {@link #sessions}, not here. */
    private volatile CollectorConfig config;
    /** As configured at start: what an empty {@code pga.fleet.config} override goes back to. */
    private final CollectorConfig startConfig;
    private final Instant startedAt = Instant.now();
    private final TargetSessions sessions;
    private final HeartbeatReporter heartbeats;
    private final SampleProducer samples;
    private final CycleSink sink;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private volatile String logLevel;
    private volatile boolean closing;
    private CollectorEndpoint endpoint;
    private AutoCloseable gcMeters;
    private LogShipper logs;
    /** Null while archived or without a fleet group; guarded by {@code this} (the control channel archives on its thread). */
    private FleetMembership membership;
    private Map<String, Object> fleetConsumerOverrides = Map.of();
    private volatile boolean archived;
    private ControlChannel control;
    private final ScheduledExecutorService ticker;
    private final ExecutorService samplers;
    private final CycleScheduler cycles;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Collector(CollectorConfig config, Map<String, Object> producerOverrides) {
        this.config = config;
        this.startConfig = config;
        this.sessions = new TargetSessions(Catalog.load()); // fails at start on a broken catalog, not later on some server
        config.targets().forEach(target -> sessions.put(sessions.open(target, config)));
        List<String> topics = new ArrayList<>(List.of(Topics.RAW_DATABASE, Topics.RAW_QUERY_TEXTS));
        sessions.all().forEach(session -> topics.addAll(topicsOf(session.families())));
        this.heartbeats = new HeartbeatReporter(config, producerOverrides, VERSION, startedAt, this);
        try {
            this.samples = SampleProducer.start(config, producerOverrides, topics, new SampleProducer.QueryTexts() {
                @Override
                public void resend(String targetId, long queryid) {
                    sessions.forgetText(targetId, queryid);
                }

                @Override
                public void resendAll() {
                    sessions.forgetAllTexts();
                }
            }, heartbeats::reportDrop);
        } catch (RuntimeException e) {
            heartbeats.close();
            throw e;
        }
        this.sink = new CycleSink() {
            @Override
            public void accept(String targetId, Collected collected) {
                samples.produce(targetId, collected);
            }

            @Override
            public void failed(int reads) {
                samples.countFailed(reads);
            }
        };
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "pga-collector-cycles"));
        this.samplers = Executors.newFixedThreadPool(config.operations().workers(), r -> daemon(r, "pga-collector-worker"));
        this.cycles = new CycleScheduler(config.intervalMillis(), samplers, System::currentTimeMillis,
                (targetId, everyJob) -> sessions.cycle(targetId, everyJob, sink));
        sessions.targetIds().forEach(cycles::add);
    }

    private static List<String> topicsOf(Collection<String> families) {
        return families.stream().map(Topics::raw).toList();
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
     * @throws InvalidValue {@code collector.http.port} cannot be listened on, or the registration with
     *         {@code collector.api.url} was refused or could not be done (see {@link CollectorRegistration#identify})
     */
    public static Collector start(CollectorConfig config, Map<String, Object> producerOverrides,
                                  Map<String, Object> fleetConsumerOverrides) {
        // With collector.api.url, the id the control plane gave (from the identity file, or registering now).
        config = CollectorRegistration.identify(config, VERSION, CollectorRegistration.DEFAULT_RETRY_FOR);
        Collector collector = new Collector(config, producerOverrides);
        try {
            collector.ticker.scheduleWithFixedDelay(collector::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
            collector.heartbeats.start();
            collector.logs = LogShipper.start(config, producerOverrides);
            collector.gcMeters = CollectorMeters.bind(collector.meters, collector);
            if (config.operations().httpPort() >= 0) {
                collector.endpoint = CollectorEndpoint.start(config.operations().httpPort(), collector.meters, collector::health);
            }
            collector.control = ControlChannel.start(config, FleetController.of(collector::pause, collector::resume,
                    collector::restart, collector::collectNow, collector::reconfigure, collector::setLogLevel,
                    collector::setArchived), Map.of());
            collector.fleetConsumerOverrides = Map.copyOf(fleetConsumerOverrides);
            collector.joinFleet();
        } catch (java.io.IOException | RuntimeException e) {
            collector.close();
            throw e instanceof RuntimeException r ? r
                    : new InvalidValue(CollectorConfig.HTTP_PORT, "cannot listen: " + e.getMessage(), e);
        }
        Recovery recovery = collector.samples.spool().recovery();
        LOG.info("collector {} started: {} targets{}, preset {}, base interval {} ms, {} workers{}", config.collectorId(),
                config.targets().size(), config.operations().fleetGroup() == null ? "" : " plus its share of fleet " + config.operations().fleetGroup(),
                config.preset().configName(), config.intervalMillis(), config.operations().workers(),
                recovery.previousShutdownClean() ? "" : "; the previous run did not stop cleanly, " + recovery.recoveredRecords()
                        + " spooled samples are sent again");
        return collector;
    }

    /** Joins the fleet group when one is configured, unless archived (the desired state may have come first). */
    private synchronized void joinFleet() {
        if (config.operations().fleetGroup() != null && membership == null && !archived && !closing) {
            membership = FleetMembership.start(config, TargetRegistry.of(this::addFleetTarget, this::removeTarget),
                    fleetConsumerOverrides);
        }
    }

    /**
     * Archived (unregistered, {@code DesiredState.ARCHIVED}): samples nothing, says {@code archived} in its
     * heartbeats and leaves its fleet group, so that the group's other collectors take its fleet targets at once;
     * {@code false}: joins the group again and samples when resumed.
     */
    public synchronized void setArchived(boolean archive) {
        if (archive == archived) {
            return;
        }
        archived = archive;
        if (archive) {
            cycles.pause();
            FleetMembership leaving = membership;
            membership = null;
            closeQuietly(leaving);
            LOG.info("collector {}: archived: samples nothing{}", config.collectorId(),
                    leaving == null ? "" : " and left fleet group " + config.operations().fleetGroup());
        } else {
            joinFleet();
            LOG.info("collector {}: registered again{}", config.collectorId(),
                    membership == null ? "" : "; rejoining fleet group " + config.operations().fleetGroup());
        }
    }

    @Override
    public boolean archived() {
        return archived;
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

    /** The configuration in force: as started, with the fleet's family intervals once it reconfigured them. */
    @Override
    public CollectorConfig config() {
        return config;
    }

    /** The log level set remotely, or null for the configured one. */
    @Override
    public String logLevel() {
        return logLevel;
    }

    /** The log level set remotely, or null for the configured one. */
    public void setLogLevel(String level) {
        logLevel = LogLevels.set(level);
        LOG.info("collector {}: log level {}", config.collectorId(), logLevel == null ? "as configured" : logLevel);
    }

    /** What {@code /health} says: up while sampling (or deliberately stopped) and Kafka takes what is produced. */
    CollectorEndpoint.Health health() {
        SpoolUsage usage = samples.spool().usage();
        long sinceAck = System.currentTimeMillis() - Math.max(samples.lastAckMillis(), startedAt.toEpochMilli());
        boolean kafkaStuck = usage.pendingRecords() > 0 && sinceAck > KAFKA_STUCK_MILLIS;
        List<TargetStatus> statuses = sessions.status();
        return new CollectorEndpoint.Health(!closing && !kafkaStuck, new HealthDetails(
                HeartbeatReporter.stateOf(this),
                statuses.size(),
                statuses.stream().filter(TargetStatus::healthy).count(),
                kafkaStuck ? "nothing acknowledged for " + sinceAck / 1000 + " s" : "ok",
                usage.pendingRecords(),
                usage.usedBytes()));
    }

    /**
     * The spool samples wait in for Kafka: {@link Spool#usage()}, {@link Spool#droppedByFamily()},
     * {@link Spool#recovery()} and {@link Spool#addDropListener} for the heartbeat and fleet events.
     */
    @Override
    public Spool spool() {
        return samples.spool();
    }

    /** The shipper and its producer's metrics, for tests that need to say why a spool does not drain. */
    String shipperDiagnostics() {
        return samples.shipperDiagnostics();
    }

    /** Samples produced and acknowledged by Kafka since start. */
    @Override
    public long samplesProduced() {
        return samples.samplesProduced();
    }

    /** Samples that could not be read or produced since start. */
    @Override
    public long samplesFailed() {
        return samples.samplesFailed();
    }

    /** Query texts produced and acknowledged since start. */
    @Override
    public long queryTextsProduced() {
        return samples.queryTextsProduced();
    }

    /** Bytes the samples producer holds in memory now: what a kill -9 would lose beyond the spool. */
    @Override
    public long bufferUsedBytes() {
        return samples.bufferUsedBytes();
    }

    /** Cycles run to the end since start, successful or not. */
    @Override
    public long cyclesRun() {
        return cycles.cyclesRun();
    }

    /** Cycles skipped since start: the target's previous cycle still ran, or none of the workers was free before its next slot. */
    @Override
    public long cyclesSkipped() {
        return cycles.cyclesSkipped();
    }

    /** Of {@link #cyclesSkipped()}, those that found no free worker before their next slot: the workers are too few. */
    @Override
    public long cyclesOverdue() {
        return cycles.cyclesOverdue();
    }

    /** Every target's status: connection, last cycle's duration, and per family the last success or the failure and its reason. */
    @Override
    public List<TargetStatus> status() {
        return sessions.status();
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
    @Override
    public Set<String> targetIds() {
        return sessions.targetIds();
    }

    /**
     * Monitors {@code target} from its next slot on; a target of the same id is replaced, its
     * connection closed once a running cycle ends.
     *
     * @throws InvalidValue the target is invalid, saying why ({@code target <id>: <field>: <reason>})
     */
    public void addTarget(Target target) {
        // The same checks as configured targets get, each problem's path relative to the target.
        List<InvalidValue.Problem> problems = CollectorConfig.problemsOf(target);
        if (!problems.isEmpty()) {
            throw new InvalidValue("target " + target.id(),
                    String.join("; ", problems.stream().map(InvalidValue.Problem::toString).toList()));
        }
        if (logs != null) {
            logs.addSecret(target.password()); // never logged; should it ever be, it is not shipped either
        }
        TargetSession session = sessions.open(target, config);
        samples.checkTopics(topicsOf(session.families()));
        boolean replaced = sessions.put(session);
        cycles.add(target.id());
        LOG.info("collector {}: target {} {}", config.collectorId(), target.id(), replaced ? "replaced" : "added");
    }

    /**
     * Stops monitoring a target; its connection closes once a running cycle ends. Never waits for it.
     *
     * @return whether the target was monitored
     */
    public boolean removeTarget(String targetId) {
        cycles.remove(targetId);
        boolean removed = sessions.remove(targetId);
        if (removed) {
            LOG.info("collector {}: target {} removed", config.collectorId(), targetId);
        }
        return removed;
    }

    /** Samples nothing until {@link #resume()}; connections stay open and heartbeats go on. */
    public void pause() {
        cycles.pause();
        LOG.info("collector {}: paused", config.collectorId());
    }

    /** Samples again, from each target's next slot. */
    public void resume() {
        if (archived) {
            LOG.info("collector {}: archived, so sampling stays stopped until it is registered again", config.collectorId());
            return;
        }
        cycles.resume();
        LOG.info("collector {}: resumed", config.collectorId());
    }

    @Override
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
     * @throws InvalidValue an unknown family or a bad interval, naming the key
     */
    public void reconfigure(Map<String, Long> familyIntervalMillis) {
        Map<String, Long> intervals = new HashMap<>(startConfig.familyIntervalMillis());
        intervals.putAll(familyIntervalMillis); // the fleet's overrides on top of the collector's own
        CollectorConfig next = config.withFamilyIntervals(intervals);
        config = next;
        sessions.reschedule(next, families -> samples.checkTopics(topicsOf(families)));
        LOG.info("collector {}: family intervals now {}", next.collectorId(), new TreeMap<>(familyIntervalMillis));
    }

    /**
     * Closes every target's connection and starts over with new sessions for the current targets and
     * configuration: per-family state starts afresh (statements send every entry once more). A
     * running cycle finishes on its old session first.
     */
    public void restart() {
        int restarted = sessions.restart(config);
        LOG.info("collector {}: restarted {} target sessions", config.collectorId(), restarted);
    }

    private void tick() {
        try {
            cycles.tick();
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: log and keep scheduling.
            LOG.warn("collector {}: scheduling round failed: {}", config.collectorId(), e.toString());
        }
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
        FleetMembership leaving;
        synchronized (this) {
            leaving = membership;
            membership = null;
        }
        closeQuietly(leaving);
        closeQuietly(control);
        closeQuietly(endpoint);
        cycles.pause(); // cycles still queued return at once instead of running against a closing producer
        ticker.shutdownNow();
        heartbeats.stop();
        samplers.shutdown();
        try {
            if (!samplers.awaitTermination(5, TimeUnit.SECONDS)) {
                samplers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Ship what the spool still holds for a moment, then keep the rest on disk for the next run.
        samples.close(CLOSE_DRAIN);
        heartbeats.close(); // drop counts not reported yet go out with the last flush
        sessions.close();
        closeQuietly(logs); // last: the warnings of closing are shipped too
        closeQuietly(gcMeters);
        meters.close();
        LOG.info("collector {} stopped: {} samples produced, {} failed", config.collectorId(),
                samples.samplesProduced(), samples.samplesFailed());
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

    static String versionOf(Class<?> type) {
        String version = type.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
