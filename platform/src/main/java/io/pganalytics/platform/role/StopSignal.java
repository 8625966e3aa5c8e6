package io.pganalytics.platform.role;

import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * Waits for Ctrl-C (INT) or TERM, so that a role can stop its components in order and exit 0.
 *
 * <p>The JVM's own handling would run shutdown hooks concurrently and exit 130; taking the signals
 * ourselves keeps the shutdown sequential, logged, and successful.
 */
public final class StopSignal {

    private final CountDownLatch stop = new CountDownLatch(1);

    private StopSignal() {
    }

    /** Takes over INT and TERM from now on. */
    public static StopSignal install() {
        StopSignal signal = new StopSignal();
        Signal.handle(new Signal("INT"), s -> signal.stop.countDown());
        Signal.handle(new Signal("TERM"), s -> signal.stop.countDown());
        return signal;
    }

    /** Blocks until INT or TERM arrives. */
    public void await() throws InterruptedException {
        stop.await();
    }
}
