package io.pganalytics.fleet.admin;

import io.pganalytics.schemas.fleet.FleetConfig;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.secret.SecretBox;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per change made, naming its actor, around any {@link FleetAdmin}: where the audit trail
 * will hook in. Reads are passed through unlogged; a change that fails is not logged as made (its
 * exception reaches the caller).
 */
class ChangeLog implements FleetAdmin {

    static final Logger LOG = LoggerFactory.getLogger(ChangeLog.class);

    private final FleetAdmin delegate;

    ChangeLog(FleetAdmin delegate) {
        this.delegate = delegate;
    }

    @Override
    public FleetTarget putTarget(Actor actor, TargetSpec target) {
        FleetTarget written = delegate.putTarget(actor, target);
        LOG.info("fleet change by {}: target {} put ({}, password {})", actor, written.getTargetId(),
                written.getEnabled() ? "enabled" : "disabled",
                written.getEncryptedPassword() == null ? "none" : "encrypted with key " + SecretBox.keyIdOf(written.getEncryptedPassword()));
        return written;
    }

    @Override
    public void removeTarget(Actor actor, String targetId) {
        delegate.removeTarget(actor, targetId);
        LOG.info("fleet change by {}: target {} removed", actor, targetId);
    }

    @Override
    public List<ListedTarget> listTargets() {
        return delegate.listTargets();
    }

    @Override
    public FleetConfig setDesiredState(Actor actor, DesiredStateSpec desired) {
        FleetConfig written = delegate.setDesiredState(actor, desired);
        LOG.info("fleet change by {}: desired state of collector {} set: {}, log level {}, family intervals {}", actor,
                written.getCollectorId(), FleetVocabulary.stateName(written.getState()),
                written.getLogLevel() == null ? "as started" : written.getLogLevel(),
                written.getFamilyIntervalMillis().isEmpty() ? "as configured" : written.getFamilyIntervalMillis());
        return written;
    }

    @Override
    public CommandResult sendCommand(Actor actor, CommandRequest command) {
        CommandResult result = delegate.sendCommand(actor, command);
        String outcome;
        if (result instanceof CommandResult.Acknowledged ack) {
            outcome = ack.outcome() + " (" + ack.reason() + ")";
        } else if (result instanceof CommandResult.Unacknowledged) {
            outcome = "not acknowledged within " + command.timeout().toSeconds() + " s";
        } else {
            outcome = "sent, not awaited";
        }
        LOG.info("fleet change by {}: command {} {} to collector {}: {}", actor, result.commandId(), command.commandName(),
                command.collectorId(), outcome);
        return result;
    }

    @Override
    public List<Heartbeat> status(StatusQuery query) {
        return delegate.status(query);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
