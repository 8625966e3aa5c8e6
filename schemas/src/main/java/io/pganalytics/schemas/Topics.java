package io.pganalytics.schemas;

import java.util.List;

/**
 * The topic contract of ARCHITECTURE.md §4: every topic name the pipeline uses, in one place.
 *
 * <p>Keys are {@code <collectorId>/<targetId>} strings unless a topic says otherwise; values are Avro
 * in the Confluent wire format under the subject {@code <topic>-value}. docs/topics.md describes
 * each topic for users. The list of every topic with how it is created is
 * {@code contract.TopicContract.all()}: it needs the metric families, and they name their topics with
 * this class, so it cannot live here without a package cycle.
 */
public final class Topics {

    public static final String PREFIX = "pga.";

    public static final String RAW_DATABASE = raw("database");
    public static final String METRICS_DATABASE = metrics("database");

    /** Normalized query texts of pg_stat_statements, compacted, keyed {@code <targetId>/<queryid>}. */
    public static final String RAW_QUERY_TEXTS = raw("query-texts");

    public static final String FLEET_TARGETS = "pga.fleet.targets";
    public static final String FLEET_HEARTBEATS = "pga.fleet.heartbeats";
    public static final String FLEET_STATUS = "pga.fleet.status";
    public static final String FLEET_CONFIG = "pga.fleet.config";
    public static final String FLEET_CONTROL = "pga.fleet.control";
    public static final String FLEET_EVENTS = "pga.fleet.events";
    public static final String FLEET_LOGS = "pga.fleet.logs";

    public static final String QUOTAS = "pga.quotas";
    public static final String ALERT_RULES = "pga.alert-rules";
    public static final String ALERTS = "pga.alerts";
    public static final String AUDIT_EVENTS = "pga.audit.events";
    public static final String AUDIT_LOG = "pga.audit.log";
    public static final String DLQ = "pga.dlq";

    /**
     * The control-plane tables whose every row change Debezium streams to {@link #controlChanges} (and whose changes
     * the audit trail records): the state of the control plane. Left out are what only caches or meters it
     * (idempotency keys, rate-limit buckets, the projection outbox, single sign-on requests in flight) and the audit tables themselves.
     */
    public static final List<String> CONTROL_TABLES = List.of("collector_groups", "collectors", "registration_secrets",
            "targets", "commands", "alert_rules", "users", "refresh_tokens", "revocations", "signing_keys",
            "login_failures", "backup_codes");

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

    /** The width of a rollup window. */
    public enum Resolution {
        ONE_MINUTE("1m"), ONE_HOUR("1h");

        private final String suffix;

        Resolution(String suffix) {
            this.suffix = suffix;
        }

        /** {@code 1m} or {@code 1h}, as in topic and table names. */
        public String suffix() {
            return suffix;
        }
    }

    /** The topic of one family's closed windows, e.g. {@code pga.rollups.database.1m}. */
    public static String rollups(String family, Resolution resolution) {
        return PREFIX + "rollups." + family + "." + resolution.suffix();
    }

    /** The change stream of one control-plane table, e.g. {@code pga.control.cdc.users}. */
    public static String controlChanges(String table) {
        return PREFIX + "control.cdc." + table;
    }

    /** The subject a topic's values are registered under (Confluent's TopicNameStrategy). */
    public static String valueSubject(String topic) {
        return topic + "-value";
    }
}
