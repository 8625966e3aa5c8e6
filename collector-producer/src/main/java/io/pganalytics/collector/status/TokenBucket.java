package io.pganalytics.collector.status;

import java.util.function.LongSupplier;

/**
 * A rate limit: {@code ratePerSecond} tokens a second in the long run, {@code burst} at once; {@link #tryTake()}
 * never waits. Refilled lazily from the clock on each take.
 */
final class TokenBucket {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private final long burst;
    private final long nanosPerToken;
    private final LongSupplier nanoClock;
    private long tokens;
    private long refilledAtNanos;

    TokenBucket(long ratePerSecond, long burst, LongSupplier nanoClock) {
        if (ratePerSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("rate and burst must be at least 1");
        }
        this.burst = burst;
        this.nanosPerToken = NANOS_PER_SECOND / ratePerSecond;
        this.nanoClock = nanoClock;
        this.tokens = burst;
        this.refilledAtNanos = nanoClock.getAsLong();
    }

    /** Takes a token if there is one. */
    synchronized boolean tryTake() {
        long now = nanoClock.getAsLong();
        long earned = (now - refilledAtNanos) / nanosPerToken;
        if (earned > 0) {
            tokens = Math.min(burst, tokens + earned);
            refilledAtNanos = tokens == burst ? now : refilledAtNanos + earned * nanosPerToken;
        }
        if (tokens == 0) {
            return false;
        }
        tokens--;
        return true;
    }
}
