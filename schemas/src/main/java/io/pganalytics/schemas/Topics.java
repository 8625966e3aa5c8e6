package io.pganalytics.schemas;

import java.util.List;

/**
 * The topic contract of ARCHITECTURE.md §4: every topic name the pipeline uses, in one place.
 *
 * <p>Keys are {@code <collectorId>/<targetId>} strings unless a topic says otherwise; values are Avro
 * in the Confluent wire format under the subject {@code <topic>-value}. docs/topics.md describes
 * each topic for users and is checked against {@link #all()} by a test.
 */
public final class Topics {

    public static final String PREFIX = "pga.";

    public static final String RAW_DATABASE = raw("database");
    public static final String METRICS_DATABASE = metrics("database");

    public static final String FLEET_HEARTBEATS = "pga.fleet.heartbeats";
    public static final String FLEET_STATUS = "pga.fleet.status";
    public static final String FLEET_CONFIG = "pga.fleet.config";
    public static final String FLEET_CONTROL = "pga.fleet.control";
    public static final String FLEET_EVENTS = "pga.fleet.events";

    public static final String ALERTS = "pga.alerts";
    public static final String AUDIT_EVENTS = "pga.audit.events";
    public static final String AUDIT_LOG = "pga.audit.log";
    public static final String DLQ = "pga.dlq";

    private Topics() {
    }

    /** The topic collectors produce one metric family to, e.g. {@code pga.raw.database}. */
    public static String raw(String family) {
        return PREFIX + "raw." + family;
    }

    /** The validated topic of one metric family, e.g. {@code pga.metrics.database}. */
    public static String metrics(String family) {
        return PREFIX + "metrics." + family;
    }

    /** The subject a topic's values are registered under (Confluent's TopicNameStrategy). */
    public static String valueSubject(String topic) {
        return topic + "-value";
    }

    /** Every topic that exists today, with how it must be created. */
    public static List<TopicSpec> all() {
        return List.of(
                TopicSpec.stream(RAW_DATABASE, "pg_stat_database samples as collectors produce them"),
                TopicSpec.stream(METRICS_DATABASE, "pg_stat_database samples that passed validation"),
                TopicSpec.stream(FLEET_HEARTBEATS, "collector heartbeats, keyed by collectorId"),
                TopicSpec.compacted(FLEET_STATUS, "latest status per collector"),
                TopicSpec.compacted(FLEET_CONFIG, "desired configuration per collector"),
                TopicSpec.stream(FLEET_CONTROL, "commands to collectors: stop, restart, resume, reconfigure"),
                TopicSpec.stream(FLEET_EVENTS, "fleet membership and state changes"),
                TopicSpec.stream(ALERTS, "alerts raised by the stream processors"),
                TopicSpec.stream(AUDIT_EVENTS, "audit events captured from the control-plane outbox"),
                TopicSpec.stream(AUDIT_LOG, "the hash-chained audit log"),
                TopicSpec.stream(DLQ, "records that failed a check, original bytes with the reason in headers"));
    }
}
