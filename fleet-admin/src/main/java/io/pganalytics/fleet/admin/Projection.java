package io.pganalytics.fleet.admin;

import io.pganalytics.fleet.admin.internal.TopicClient;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.alerts.AlertKind;
import io.pganalytics.schemas.alerts.AlertOperator;
import io.pganalytics.schemas.alerts.AlertRule;
import io.pganalytics.schemas.fleet.FleetCommand;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.generic.GenericContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes what the control plane committed: drains {@code projection_outbox} in order, writing each entity's
 * state at that moment (or a tombstone) to its topic, retried until Kafka takes it. One process publishes at a
 * time (a PostgreSQL advisory lock held on its own connection); the others wait to take over. On taking the lock
 * it reconciles: every table row whose record on its compacted topic differs (or is missing) is published again.
 */
final class Projection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Projection.class);
    /** The advisory lock key of the publisher: 'pgaproj' in ASCII. */
    private static final long LOCK = 0x7067617072_6f6aL;

    /** A record to publish; {@code value} null is a tombstone; {@code published} runs once Kafka has it. */
    record Record(String topic, String key, GenericContainer value, SqlAction published) {
        Record(String topic, String key, GenericContainer value) {
            this(topic, key, value, () -> { });
        }
    }

    interface SqlAction {
        void run() throws SQLException;
    }

    /** The record an outbox row stands for, read in the caller's transaction; null when there is nothing to publish. */
    interface Source {
        Record projected(Connection connection, String kind, String id) throws SQLException;
    }

    private final ControlDatabase db;
    private final TopicClient topics;
    private final Source source;
    private final Thread thread;
    private volatile boolean running = true;
    /** Closing: publish what is left (when this process holds the lock), then stop. */
    private volatile boolean closing;
    private volatile boolean reconcileAsked = true;
    private final Object wake = new Object();

    private Projection(ControlDatabase db, ControlPlaneConfig config, String clientId, Source source) {
        this.db = db;
        this.topics = new TopicClient(config.bootstrapServers(), config.schemaRegistryUrl(), clientId + "-projection");
        this.source = source;
        this.thread = new Thread(this::run, "pga-control-projection");
        this.thread.setDaemon(true);
    }

    static Projection start(ControlDatabase db, ControlPlaneConfig config, String clientId, Source source) {
        Projection projection = new Projection(db, config, clientId, source);
        projection.thread.start();
        return projection;
    }

    /** Asks the publisher to compare every table with its topic again. */
    void reconcile() {
        reconcileAsked = true;
        nudge();
    }

    /** Wakes the publisher: something was committed. */
    void nudge() {
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    private void run() {
        long backoffMillis = 500;
        boolean failing = false;
        while (running) {
            try (Connection lock = db.connection()) {
                if (!tryLock(lock)) {
                    if (closing) {
                        return; // the process that holds the lock publishes what this one committed
                    }
                    pause(1000);
                    continue;
                }
                LOG.info("control-plane projection: this process publishes committed changes to Kafka");
                while (running && lock.isValid(2)) {
                    if (reconcileAsked && !closing) {
                        reconcileAsked = false;
                        int differences = enqueueDifferences();
                        LOG.info("control-plane projection: reconciled the tables with their topics, {} to publish", differences);
                    }
                    int published = drain();
                    if (failing) {
                        LOG.info("control-plane projection: Kafka takes changes again");
                        failing = false;
                    }
                    backoffMillis = 500;
                    if (published == 0 && closing) {
                        return;
                    }
                    if (published == 0) {
                        pause(200);
                    }
                }
            } catch (RuntimeException | SQLException e) {
                if (!running || closing) {
                    break;
                }
                if (!failing) {
                    LOG.warn("control-plane projection: cannot publish ({}); retrying, nothing committed is lost", e.getMessage());
                    failing = true;
                }
                reconcileAsked = true;
                pause(backoffMillis);
                backoffMillis = Math.min(backoffMillis * 2, 10_000);
            }
        }
    }

    private static boolean tryLock(Connection lock) throws SQLException {
        try (Statement s = lock.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_try_advisory_lock(" + LOCK + ")")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    /** Publishes the outbox in order; returns how many rows it drained. */
    private int drain() {
        List<Object[]> rows = db.inTransaction(c -> ControlDatabase.query(c,
                "SELECT id, kind, entity_id FROM projection_outbox ORDER BY id LIMIT 200",
                rs -> new Object[] {rs.getLong(1), rs.getString(2), rs.getString(3)}));
        for (Object[] row : rows) {
            long id = (long) row[0];
            String kind = (String) row[1];
            String entity = (String) row[2];
            db.inTransaction(c -> {
                Record record = source.projected(c, kind, entity);
                if (record != null) {
                    topics.write(record.topic(), record.key(), record.value());
                    record.published().run();
                }
                // Earlier rows of the same entity are covered: what was written is its state now.
                // Only rows up to this one: a change committed since the read above has its own row, published next.
                ControlDatabase.update(c, "DELETE FROM projection_outbox WHERE kind = ? AND entity_id = ? AND id <= ?", kind, entity, id);
                return null;
            });
        }
        return rows.size();
    }

    /** Adds an outbox row for every row whose record on its compacted topic is missing or differs. */
    private int enqueueDifferences() {
        int differences = 0;
        differences += enqueueDifferences("target", Topics.FLEET_TARGETS, "SELECT id FROM targets");
        differences += enqueueDifferences("collector", Topics.FLEET_CONFIG, "SELECT id FROM collectors");
        differences += enqueueDifferences("alert-rule", Topics.ALERT_RULES, "SELECT id FROM alert_rules");
        return differences;
    }

    private int enqueueDifferences(String kind, String topic, String ids) {
        Map<String, Object> onTopic = topics.readLatest(topic);
        return db.inTransaction(c -> {
            int n = 0;
            for (String id : ControlDatabase.query(c, ids, rs -> rs.getString(1))) {
                Record record = source.projected(c, kind, id);
                if (record != null && !Objects.equals(record.value(), onTopic.get(id))) {
                    ControlDatabase.update(c, "INSERT INTO projection_outbox (kind, entity_id) VALUES (?, ?)", kind, id);
                    n++;
                }
            }
            return n;
        });
    }

    private void pause(long millis) {
        synchronized (wake) {
            try {
                wake.wait(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            }
        }
    }

    /** Publishes what is left in the outbox when this process holds the lock (up to 30 s), then stops. */
    @Override
    public void close() {
        closing = true;
        nudge();
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
            running = false;
            nudge();
            thread.join(Duration.ofSeconds(5).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        topics.close();
    }

    static AlertRule alertRule(ControlPlane.AlertRuleSpec r) {
        return AlertRule.newBuilder().setId(r.id()).setFamily(r.family()).setField(r.field())
                .setKind(AlertKind.valueOf(r.kind().toUpperCase(Locale.ROOT))).setOperator(AlertOperator.valueOf(r.operator().toUpperCase(Locale.ROOT)))
                .setThreshold(r.threshold()).setDurationSeconds(r.durationSeconds()).setWindowSamples(r.windowSamples())
                .setCollectorId(r.collectorId()).setTargetId(r.targetId()).setDescription(r.description()).build();
    }

    static FleetCommand command(ControlPlane.Command c) {
        return FleetCommand.newBuilder().setCommandId(c.id()).setCollectorId(c.collectorId()).setCommand(FleetVocabulary.command(c.command()))
                .setIssuedAt(c.issuedAt()).setIssuedBy(c.issuedBy()).build();
    }
}
