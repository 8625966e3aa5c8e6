package io.pganalytics.fleet.admin;

import io.pganalytics.schemas.fleet.FleetVocabulary;

/** What became of a command sent with {@link FleetAdmin#sendCommand}: its id, and its acknowledgement if one was awaited. */
public sealed interface CommandResult permits CommandResult.Sent, CommandResult.Acknowledged, CommandResult.Unacknowledged {

    /** The command's id, which its acknowledgement carries. */
    String commandId();

    CommandRequest request();

    /** Sent without waiting (a wait of zero). */
    record Sent(String commandId, CommandRequest request) implements CommandResult {
    }

    /**
     * The collector's answer.
     *
     * @param outcome {@code done}, {@code failed} or {@code rejected} ({@link FleetVocabulary})
     * @param reason  for people, e.g. {@code sampling stopped}
     */
    record Acknowledged(String commandId, CommandRequest request, String outcome, String reason) implements CommandResult {

        /** Whether the collector executed it. */
        public boolean done() {
            return FleetVocabulary.DONE.equals(outcome);
        }
    }

    /** No acknowledgement within the wait: the collector may be down, and executes it when it comes back. */
    record Unacknowledged(String commandId, CommandRequest request) implements CommandResult {
    }
}
