package io.pganalytics.schemas;

import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import java.util.ArrayList;
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

    /** Normalized query texts of pg_stat_statements, compacted, keyed {@code <targetId>/<queryid>}. */
    public static final String RAW_QUERY_TEXTS = raw("query-texts");

    public static final String FLEET_TARGETS = "pga.fleet.targets";
    public static final String FLEET_HEARTBEATS = "pga.fleet.heartbeats";
    public static final String FLEET_STATUS = "pga.fleet.status";
    public static final String FLEET_CONFIG = "pga.fleet.config";
    public static final String FLEET_CONTROL = "pga.fleet.control";
    public static final String FLEET_EVENTS = "pga.fleet.events";

    public static final String QUOTAS = "pga.quotas";
    public static final String ALERT_RULES = "pga.alert-rules";
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

    /** The subject a topic's values are registered under (Confluent's TopicNameStrategy). */
    public static String valueSubject(String topic) {
        return topic + "-value";
    }

    /** Every topic that exists today, with how it must be created. */
    public static List<TopicSpec> all() {
        List<TopicSpec> all = new ArrayList<>();
        for (MetricFamily family : MetricFamilies.all()) {
            all.add(TopicSpec.stream(family.rawTopic(), family.name() + " samples as collectors produce them"));
            all.add(TopicSpec.stream(family.metricsTopic(), family.name() + " samples that passed validation, with deltas and rates"));
            for (Resolution resolution : Resolution.values()) {
                all.add(TopicSpec.stream(family.rollupTopic(resolution),
                        family.name() + " aggregates per closed " + resolution.suffix() + " window"));
            }
        }
        all.addAll(List.of(
                TopicSpec.compacted(RAW_QUERY_TEXTS, "normalized pg_stat_statements query texts, once per target and queryid"),
                TopicSpec.compacted(FLEET_TARGETS, TopicSpec.FLEET_TARGETS_PARTITIONS,
                        "desired targets of the fleet, keyed by targetId; its partitions are shared by the collectors of a fleet"),
                TopicSpec.stream(FLEET_HEARTBEATS, "collector heartbeats, keyed by collectorId"),
                TopicSpec.compacted(FLEET_STATUS, "latest status per collector"),
                TopicSpec.compacted(FLEET_CONFIG, "desired configuration per collector"),
                TopicSpec.stream(FLEET_CONTROL, "commands to collectors: stop, resume, restart, reconfigure, collect-now"),
                TopicSpec.stream(FLEET_EVENTS, "fleet membership and state changes"),
                TopicSpec.compacted(QUOTAS, "per-collector ingest quota overrides, keyed by collectorId"),
                TopicSpec.compacted(ALERT_RULES, "alert rules, keyed by rule id"),
                TopicSpec.stream(ALERTS, "alerts raised by the stream processors"),
                TopicSpec.stream(AUDIT_EVENTS, "audit events captured from the control-plane outbox"),
                TopicSpec.stream(AUDIT_LOG, "the hash-chained audit log"),
                TopicSpec.stream(DLQ, "records that failed a check, original bytes with the reason in headers")));
        return List.copyOf(all);
    }
}
