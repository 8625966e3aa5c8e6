package io.pganalytics.schemas.fleet;

import io.pganalytics.config.InvalidValue;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The words of the fleet contract that travel as Avro strings, defined once for every writer and reader
 * (collector, stream processors, fleet-admin): the kinds of {@link FleetEvent} and the outcomes it reports,
 * a collector's states, and the names people type for commands, desired states, log levels and presets.
 *
 * <p>Constants, not an Avro enum: {@code FleetEvent.kind} shipped as a {@code string} (released v1), and
 * Avro cannot read a string as an enum, so making it one breaks the BACKWARD_TRANSITIVE rule of
 * {@code SchemaEvolutionTest} ("FleetEvent.kind: type changed from string to ..., incompatible with released
 * v1"). As a string, a reader also keeps a kind newer than itself instead of failing the whole record.
 */
public final class FleetVocabulary {

    // FleetEvent.kind

    /** The stream processors' liveness judged a collector anew: {@code from} and {@code to} are {@link CollectorStatus} symbols. */
    public static final String KIND_STATUS_CHANGE = "status-change";
    /** Ingest diverted a collector's records for exceeding its quota; {@code to} is this word too. */
    public static final String KIND_THROTTLED = "throttled";
    /** A collector acknowledges a {@link FleetCommand}: {@code from} its name, {@code to} an outcome. */
    public static final String KIND_COMMAND = "command";
    /** A collector applied (or could not apply) its {@link FleetConfig}. */
    public static final String KIND_CONFIG = "config";
    /** A collector's full spool dropped samples of one family; {@code to} is this word too. */
    public static final String KIND_DROPPED = "dropped";
    /** Every kind this version writes; readers must expect others. */
    public static final List<String> KINDS = List.of(KIND_STATUS_CHANGE, KIND_THROTTLED, KIND_COMMAND, KIND_CONFIG, KIND_DROPPED);

    // FleetEvent.to of kind command, and of kind config

    /** The collector executed the command. */
    public static final String DONE = "done";
    /** The collector tried and could not (a command), or could not apply its desired state (a config). */
    public static final String FAILED = "failed";
    /** The collector did not execute it: unreadable, addressed to another collector, or unknown to its version. */
    public static final String REJECTED = "rejected";
    /** The collector applied its desired state. */
    public static final String APPLIED = "applied";

    // Heartbeat.state (and the collector's /health)

    public static final String STATE_RUNNING = "running";
    /** Connected and reporting, sampling nothing. */
    public static final String STATE_STOPPED = "stopped";

    // Heartbeat.previousShutdown

    public static final String SHUTDOWN_CLEAN = "clean";
    /** The previous run was killed: what it had read but not spooled is lost. */
    public static final String SHUTDOWN_UNCLEAN = "unclean";

    /** {@code FleetConfig.logLevel}: the levels an operator may ask for, as they are written. */
    public static final List<String> LOG_LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");

    /** {@code FleetTarget.preset}: the presets a collector knows, as they are written. */
    public static final List<String> PRESETS = List.of("minimal", "standard", "exhaustive");

    private FleetVocabulary() {
    }

    /** The name people type and acknowledgements carry in {@code from}: {@code collect-now} for {@code COLLECT_NOW}. */
    public static String commandName(CommandType command) {
        return command.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The names of every command that can be sent (not {@code UNKNOWN}, which only a reader produces). */
    public static List<String> commandNames() {
        return Arrays.stream(CommandType.values()).filter(c -> c != CommandType.UNKNOWN).map(FleetVocabulary::commandName).toList();
    }

    /**
     * The command a name stands for, in any case, spaces around.
     *
     * @throws InvalidValue at {@code command} for a name that is not one of {@link #commandNames()}
     */
    public static CommandType command(String name) {
        String wanted = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(CommandType.values()).filter(c -> c != CommandType.UNKNOWN && commandName(c).equals(wanted))
                .findFirst()
                .orElseThrow(() -> new InvalidValue("command", "expected " + oneOf(commandNames()) + ", got '" + name + "'"));
    }

    /** {@code running} or {@code stopped}, as people write a {@link DesiredState}. */
    public static String stateName(DesiredState state) {
        return state.name().toLowerCase(Locale.ROOT);
    }

    /**
     * The desired state a name stands for, in any case; null is {@code running}, the schema's default.
     *
     * @throws InvalidValue at {@code state} for anything but running or stopped
     */
    public static DesiredState desiredState(String name) {
        if (name == null) {
            return DesiredState.RUNNING;
        }
        String wanted = name.strip().toLowerCase(Locale.ROOT);
        // ARCHIVED is what unregistering a collector writes (the control plane's), not a state to set by hand.
        List<DesiredState> settable = List.of(DesiredState.RUNNING, DesiredState.STOPPED);
        return settable.stream().filter(s -> stateName(s).equals(wanted)).findFirst()
                .orElseThrow(() -> new InvalidValue("state", "expected "
                        + oneOf(settable.stream().map(FleetVocabulary::stateName).toList()) + ", got '" + name + "'"));
    }

    /**
     * A log level as an operator wrote it (any case, spaces around), upper-cased.
     *
     * @throws InvalidValue at {@code logLevel} when it is not one of {@link #LOG_LEVELS}
     */
    public static String logLevel(String level) {
        String upper = level == null ? "" : level.strip().toUpperCase(Locale.ROOT);
        if (!LOG_LEVELS.contains(upper)) {
            throw new InvalidValue("logLevel", "expected " + oneOf(LOG_LEVELS) + ", got '" + level + "'");
        }
        return upper;
    }

    /**
     * A preset as an operator wrote it (any case, spaces around), lower-cased.
     *
     * @throws InvalidValue at {@code preset} when it is not one of {@link #PRESETS}
     */
    public static String preset(String preset) {
        String lower = preset == null ? "" : preset.strip().toLowerCase(Locale.ROOT);
        if (!PRESETS.contains(lower)) {
            throw new InvalidValue("preset", "expected " + oneOf(PRESETS) + ", got '" + preset + "'");
        }
        return lower;
    }

    /** {@code a, b or c}. */
    static String oneOf(List<String> words) {
        if (words.size() == 1) {
            return words.get(0);
        }
        return String.join(", ", words.subList(0, words.size() - 1)) + " or " + words.get(words.size() - 1);
    }
}
