package io.pganalytics.registry.internal;

import java.time.Duration;
import java.util.Optional;

/** Which instance may write, as the REST layer needs to know it to serve a write here or forward it. */
public interface Leadership {

    /** True when this instance writes (it leads, or it is alone by construction, as in unit tests). */
    boolean isLeader();

    /** The leader's base URL once one is known, waiting up to the timeout for an election to finish. */
    Optional<String> awaitLeader(Duration timeout);

    /** Waits until this instance's state has applied the topic up to this offset. */
    void awaitApplied(long offset);

    /** How far this instance's state has applied the topic. */
    long appliedOffset();

    /** A single instance that always writes, for unit tests and embedded use without election. */
    static Leadership alone(StoreWriter writer) {
        return new Leadership() {
            @Override
            public boolean isLeader() {
                return true;
            }

            @Override
            public Optional<String> awaitLeader(Duration timeout) {
                return Optional.empty();
            }

            @Override
            public void awaitApplied(long offset) {
            }

            @Override
            public long appliedOffset() {
                return writer.appliedOffset();
            }
        };
    }
}
