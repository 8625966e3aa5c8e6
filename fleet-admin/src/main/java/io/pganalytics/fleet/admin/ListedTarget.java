package io.pganalytics.fleet.admin;

import io.pganalytics.schemas.fleet.FleetTarget;

/** One key of {@code pga.fleet.targets} as {@link FleetAdmin#listTargets()} finds it: a target, or a record it cannot read. */
public sealed interface ListedTarget permits ListedTarget.Target, ListedTarget.Unreadable {

    String targetId();

    /** A readable target; its password stays encrypted. */
    record Target(String targetId, FleetTarget record) implements ListedTarget {
    }

    /** A record that is not a readable {@code FleetTarget}, with why. */
    record Unreadable(String targetId, String reason) implements ListedTarget {
    }
}
