package io.pganalytics.collector.targets;

import java.time.Instant;
import java.util.Map;

/**
 * What the collector knows about one target right now: whether it can connect, and per family
 * whether the last read worked and, if not, why and when it is tried again.
 *
 * @param targetId         the target
 * @param connected        whether the last connection attempt succeeded
 * @param serverVersionNum the server's version, 0 before the first connection
 * @param error            why the target cannot be reached, or null
 * @param families         per scheduled job (family, or {@code custom:<metric>})
 * @param lastCycleMillis  how long the target's last cycle took (connecting, reading and handing
 *                         the samples over), in ms; -1 before its first
 */
public record TargetStatus(String targetId, boolean connected, int serverVersionNum, String error,
                           Map<String, Family> families, long lastCycleMillis) {

    /** A status of a target that has not completed a cycle. */
    public TargetStatus(String targetId, boolean connected, int serverVersionNum, String error, Map<String, Family> families) {
        this(targetId, connected, serverVersionNum, error, families, -1);
    }

    /**
     * One family's state on the target.
     *
     * @param lastSuccessAt when a read last succeeded, or null
     * @param error         why the last read failed, or null when it succeeded
     * @param note          why the family yields nothing on this server although nothing failed
     *                      (e.g. pg_stat_io before PostgreSQL 16), or null
     * @param failures      consecutive failures
     * @param nextAttemptAt when it is read next
     */
    public record Family(Instant lastSuccessAt, String error, String note, int failures, Instant nextAttemptAt) {
    }

    /**
     * Whether the target is healthy: connected, and the last read of every job worked. The one
     * definition of a healthy target: the heartbeat's {@code targetsHealthy} and the order of its
     * target list, {@code /health}'s {@code targetsHealthy} and {@code pga_collector_targets_unhealthy}
     * all count with it.
     */
    public boolean healthy() {
        if (!connected || error != null) {
            return false;
        }
        for (Family family : families.values()) {
            if (family != null && family.error() != null) {
                return false;
            }
        }
        return true;
    }

    /** The jobs whose last read failed, with the reason: what an operator needs to act. */
    public Map<String, String> failingFamilies() {
        var failing = new java.util.TreeMap<String, String>();
        families.forEach((job, state) -> {
            if (state.error() != null) {
                failing.put(job, state.error());
            }
        });
        return failing;
    }
}
