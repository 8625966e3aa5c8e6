package io.pganalytics.collector.status;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * The facts behind the collector's {@code /health} answer, its {@code details} object.
 *
 * @param state               {@code running}, or {@code stopped} by the fleet
 * @param targets             targets monitored
 * @param targetsHealthy      of those, the healthy ones ({@link io.pganalytics.collector.targets.TargetStatus#healthy()})
 * @param kafka               {@code ok}, or how long nothing was acknowledged while samples wait
 * @param spoolPendingRecords records in the spool Kafka has not acknowledged
 * @param spoolUsedBytes      bytes of the spool's segment files
 */
@JsonPropertyOrder({"state", "targets", "targetsHealthy", "kafka", "spoolPendingRecords", "spoolUsedBytes"})
public record HealthDetails(String state, int targets, long targetsHealthy, String kafka, long spoolPendingRecords,
                            long spoolUsedBytes) {
}
