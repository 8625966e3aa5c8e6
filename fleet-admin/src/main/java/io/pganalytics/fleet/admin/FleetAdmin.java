package io.pganalytics.fleet.admin;

import io.pganalytics.schemas.fleet.FleetConfig;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.fleet.Heartbeat;
import java.util.List;

/**
 * The control plane's operations on the fleet: the one write path that the command line and the API both
 * call (ARCHITECTURE.md §8). Every change names its {@link Actor}, so that a decorator can log or audit every
 * change in one place; {@link ControlPlanes#open} returns the implementation: the control-plane database, with
 * the fleet topics as its projection.
 *
 * <p>Requests are valid by construction ({@link TargetSpec}, {@link DesiredStateSpec}, {@link CommandRequest},
 * {@link StatusQuery} throw {@link io.pganalytics.config.InvalidValue}); what fails here is the infrastructure
 * ({@link IllegalStateException}, naming what could not be reached) or a missing secret key
 * ({@code InvalidValue} at {@code fleet.secret.keys}).
 */
public interface FleetAdmin extends AutoCloseable {

    /**
     * Adds a target, or replaces the one of the same id, on {@code pga.fleet.targets}; its password
     * encrypted with the first key of {@code fleet.secret.keys}.
     *
     * @return the record written (password encrypted)
     */
    FleetTarget putTarget(Actor actor, TargetSpec target);

    /**
     * Removes a target (a tombstone on {@code pga.fleet.targets}): its collector stops monitoring it.
     *
     * @throws io.pganalytics.config.InvalidValue at {@code targetId} for an id no target can have
     */
    void removeTarget(Actor actor, String targetId);

    /** The targets of {@code pga.fleet.targets} (within a partition, in the order of their latest writes); passwords stay encrypted. */
    List<ListedTarget> listTargets();

    /**
     * Writes one collector's whole desired state to {@code pga.fleet.config}.
     *
     * @return the record written
     */
    FleetConfig setDesiredState(Actor actor, DesiredStateSpec desired);

    /**
     * Sends a command on {@code pga.fleet.control} and waits up to {@link CommandRequest#timeout()} for its
     * acknowledgement on {@code pga.fleet.events}.
     */
    CommandResult sendCommand(Actor actor, CommandRequest command);

    /** The latest heartbeat of each collector the query selects, by collector id. */
    List<Heartbeat> status(StatusQuery query);

    /** Releases the Kafka clients. */
    @Override
    void close();
}
