package io.pganalytics.collector.fleet;

import io.pganalytics.collector.config.Target;

/**
 * Where {@link FleetMembership} hands the targets this collector owns: the collector's
 * {@code addTarget} and {@code removeTarget}, wired as {@code TargetRegistry.of(collector::addTarget, collector::removeTarget)}.
 */
public interface TargetRegistry {

    /** Monitors {@code target} from now on, replacing the target of the same id if there is one. */
    void put(Target target);

    /** Stops monitoring the target of this id; unknown ids are ignored. */
    void remove(String targetId);

    /** A registry from two method references. */
    static TargetRegistry of(java.util.function.Consumer<Target> put, java.util.function.Consumer<String> remove) {
        return new TargetRegistry() {
            @Override
            public void put(Target target) {
                put.accept(target);
            }

            @Override
            public void remove(String targetId) {
                remove.accept(targetId);
            }
        };
    }
}
