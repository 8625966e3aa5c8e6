package io.pganalytics.schemas.contract;

import io.pganalytics.schemas.TopicSpec;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole topic contract as a list: every topic of {@link Topics} and of every metric family, with
 * how it must be created. docs/topics.md describes each of them for users and a test keeps the two in step.
 */
public final class TopicContract {

    private TopicContract() {
    }

    /** Every topic that exists today, with how it must be created. */
    public static List<TopicSpec> all() {
        List<TopicSpec> all = new ArrayList<>();
        for (MetricFamily family : MetricFamilies.all()) {
            all.add(TopicSpec.stream(family.rawTopic(), family.name() + " samples as collectors produce them"));
            all.add(TopicSpec.stream(family.metricsTopic(), family.name() + " samples that passed validation, with deltas and rates"));
            for (Topics.Resolution resolution : Topics.Resolution.values()) {
                all.add(TopicSpec.stream(family.rollupTopic(resolution),
                        family.name() + " aggregates per closed " + resolution.suffix() + " window"));
            }
        }
        all.addAll(List.of(
                TopicSpec.compacted(Topics.RAW_QUERY_TEXTS, "normalized pg_stat_statements query texts, once per target and queryid"),
                TopicSpec.compacted(Topics.FLEET_TARGETS, TopicSpec.FLEET_TARGETS_PARTITIONS,
                        "desired targets of the fleet, keyed by targetId; its partitions are shared by the collectors of a fleet"),
                TopicSpec.stream(Topics.FLEET_HEARTBEATS, "collector heartbeats, keyed by collectorId"),
                TopicSpec.compacted(Topics.FLEET_STATUS, "latest status per collector"),
                TopicSpec.compacted(Topics.FLEET_CONFIG, "desired configuration per collector"),
                TopicSpec.stream(Topics.FLEET_CONTROL, "commands to collectors: stop, resume, restart, reconfigure, collect-now"),
                TopicSpec.stream(Topics.FLEET_EVENTS, "fleet membership and state changes"),
                TopicSpec.stream(Topics.FLEET_LOGS, "collectors' own WARN and ERROR log lines, rate-limited"),
                TopicSpec.compacted(Topics.QUOTAS, "per-collector ingest quota overrides, keyed by collectorId"),
                TopicSpec.compacted(Topics.ALERT_RULES, "alert rules, keyed by rule id"),
                TopicSpec.stream(Topics.ALERTS, "alerts raised by the stream processors"),
                TopicSpec.single(Topics.AUDIT_EVENTS, "audit events captured from the control-plane outbox by Debezium, keyed by outbox id"),
                TopicSpec.single(Topics.AUDIT_LOG, "the hash-chained audit log, keyed by seq"),
                TopicSpec.stream(Topics.DLQ, "records that failed a check, original bytes with the reason in headers")));
        for (String table : Topics.CONTROL_TABLES) {
            all.add(TopicSpec.single(Topics.controlChanges(table), "row changes of the control-plane table " + table
                    + " in commit order, keyed by primary key (what a point-in-time recovery replays)"));
        }
        return List.copyOf(all);
    }
}
