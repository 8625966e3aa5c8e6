package io.pganalytics.fleet.admin;

import io.pganalytics.schemas.fleet.CommandType;
import io.pganalytics.schemas.fleet.FleetRules;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import java.time.Duration;

/**
 * A command for one collector and how long to wait for its acknowledgement. An instance is valid: the
 * constructor throws {@link io.pganalytics.config.InvalidValue} with every problem (paths: the component names).
 *
 * @param collectorId the collector that executes it
 * @param command     the command; never {@code UNKNOWN}, which only a reader produces
 * @param timeout     how long to wait for the acknowledgement on {@code pga.fleet.events}; zero: send and return
 */
public record CommandRequest(String collectorId, CommandType command, Duration timeout) {

    public CommandRequest {
        Problems problems = new Problems();
        problems.check(() -> FleetRules.checkCollectorId(collectorId));
        if (command == null || command == CommandType.UNKNOWN) {
            problems.add("command", "expected one of " + String.join(", ", FleetVocabulary.commandNames()) + ", got " + command);
        }
        checkTimeout(problems, timeout);
        problems.throwIfAny();
    }

    /**
     * The request as a user writes it: the command by its name ({@code collect-now}).
     *
     * @throws io.pganalytics.config.InvalidValue with every problem, the name's included
     */
    public static CommandRequest of(String collectorId, String command, Duration timeout) {
        Problems problems = new Problems();
        CommandType type = problems.check(() -> FleetVocabulary.command(command), null);
        if (type == null) {
            problems.check(() -> FleetRules.checkCollectorId(collectorId));
            checkTimeout(problems, timeout);
            problems.throwIfAny();
        }
        return new CommandRequest(collectorId, type, timeout);
    }

    /** The command's name, as acknowledgements carry it. */
    public String commandName() {
        return FleetVocabulary.commandName(command);
    }

    private static void checkTimeout(Problems problems, Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            problems.add("timeout", "expected 0 or more seconds, got " + (timeout == null ? null : timeout.toSeconds()));
        }
    }
}
