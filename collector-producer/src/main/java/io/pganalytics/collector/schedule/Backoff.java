package io.pganalytics.collector.schedule;

/**
 * How long a failing job or an unreachable target waits before the next attempt: its interval,
 * doubled with every consecutive failure, capped at five minutes or the interval, whichever is
 * longer. A server that is down is asked less and less often, and one that comes back is found
 * within minutes.
 */
public final class Backoff {

    /** The longest wait, unless the interval itself is longer. */
    public static final long MAX_MILLIS = 300_000;

    private Backoff() {
    }

    /** The wait after {@code failures} consecutive failures (1 or more) of something read every {@code intervalMillis}. */
    public static long delayMillis(long intervalMillis, int failures) {
        long cap = Math.max(MAX_MILLIS, intervalMillis);
        long delay = intervalMillis << Math.min(failures - 1, 16);
        return Math.min(Math.max(delay, intervalMillis), cap);
    }
}
