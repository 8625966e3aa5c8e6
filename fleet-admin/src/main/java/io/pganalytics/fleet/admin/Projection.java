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
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
    /** Outbox rows published per round trip to Kafka. */
    private static final int BATCH = 500;

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

    /**
     * Publishes the next rows of the outbox, in order, as one batch: their entities' state is read, written to Kafka
     * in one round trip, and the rows are deleted once the broker has every record, all in one transaction. A failure
     * anywhere rolls the batch back and it is published again (a compacted topic takes a repeat). Returns how many
     * rows it drained.
     */
    private int drain() {
        return db.inTransaction(c -> {
            List<Object[]> rows = ControlDatabase.query(c,
                    "SELECT id, kind, entity_id FROM projection_outbox ORDER BY id LIMIT " + BATCH,
                    rs -> new Object[] {rs.getLong(1), rs.getString(2), rs.getString(3)});
            // An entity named twice in the batch is published once, at its first place, with its state now.
            Map<List<String>, Long> lastRowOf = new LinkedHashMap<>();
            for (Object[] row : rows) {
                lastRowOf.put(List.of((String) row[1], (String) row[2]), (Long) row[0]);
            }
            List<Record> records = new ArrayList<>();
            for (List<String> entity : lastRowOf.keySet()) {
                Record record = source.projected(c, entity.get(0), entity.get(1));
                if (record != null) {
                    records.add(record);
                }
            }
            topics.writeAll(records.stream().map(r -> new TopicClient.Write(r.topic(), r.key(), r.value())).toList());
            for (Record record : records) {
                record.published().run();
            }
            for (Map.Entry<List<String>, Long> entity : lastRowOf.entrySet()) {
                // Only rows up to the one read: a change committed since has its own row, published next.
                ControlDatabase.update(c, "DELETE FROM projection_outbox WHERE kind = ? AND entity_id = ? AND id <= ?",
                        entity.getKey().get(0), entity.getKey().get(1), entity.getValue());
            }
            return rows.size();
        });
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
            java.util.Set<String> inTable = new java.util.HashSet<>();
            for (String id : ControlDatabase.query(c, ids, rs -> rs.getString(1))) {
                inTable.add(id);
                Record record = source.projected(c, kind, id);
                if (record != null && !Objects.equals(record.value(), onTopic.get(id))) {
                    ControlDatabase.update(c, "INSERT INTO projection_outbox (kind, entity_id) VALUES (?, ?)", kind, id);
                    n++;
                }
            }
            // A key only the topic has (written around the control plane) is deleted: the table is the truth.
            for (String id : onTopic.keySet()) {
                if (!inTable.contains(id)) {
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
