package io.pganalytics.fleet.admin;

import io.pganalytics.schemas.fleet.DesiredState;
import io.pganalytics.schemas.fleet.FleetRules;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The whole desired state of one collector, to be written to {@code pga.fleet.config}: what it leaves out
 * returns to the collector's own configuration. An instance is valid: the constructor throws
 * {@link io.pganalytics.config.InvalidValue} with every problem (paths: the component names).
 *
 * @param collectorId          the collector's {@code collector.id}
 * @param state                running or stopped (connected and reporting, sampling nothing)
 * @param logLevel             TRACE, DEBUG, INFO, WARN or ERROR in any case (kept upper-cased); null: as started
 * @param familyIntervalMillis per-family intervals for every target of the collector, 0 off; empty: its own
 */
public record DesiredStateSpec(String collectorId, DesiredState state, String logLevel, Map<String, Long> familyIntervalMillis) {

    public DesiredStateSpec {
        familyIntervalMillis = familyIntervalMillis == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(familyIntervalMillis));
        Problems problems = new Problems();
        validate(problems, collectorId, logLevel, familyIntervalMillis);
        if (state == null) {
            problems.add("state", "required: running or stopped");
        }
        problems.throwIfAny();
        logLevel = logLevel == null ? null : FleetVocabulary.logLevel(logLevel);
    }

    /**
     * The desired state as a user writes it: {@code state} a name (null: running), the rest as the record's.
     *
     * @throws io.pganalytics.config.InvalidValue with every problem, the state's included
     */
    public static DesiredStateSpec of(String collectorId, String state, String logLevel, Map<String, Long> familyIntervalMillis) {
        Problems problems = new Problems();
        DesiredState desired = problems.check(() -> FleetVocabulary.desiredState(state), null);
        if (desired == null) {
            validate(problems, collectorId, logLevel, familyIntervalMillis == null ? Map.of() : familyIntervalMillis);
            problems.throwIfAny();
        }
        return new DesiredStateSpec(collectorId, desired, logLevel, familyIntervalMillis);
    }

    private static void validate(Problems problems, String collectorId, String logLevel, Map<String, Long> familyIntervalMillis) {
        problems.check(() -> FleetRules.checkCollectorId(collectorId));
        if (logLevel != null) {
            problems.check(() -> FleetVocabulary.logLevel(logLevel));
        }
        problems.check(() -> FleetRules.checkFamilyIntervals(familyIntervalMillis));
    }
}
