package io.pganalytics.registry.internal;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Counts the requests being handled, so that a stopping registry can let them finish (a write already made gets
 * its answer) before it closes their connections. Unlike Jetty's {@code GracefulHandler} it refuses nothing: a
 * request arriving on an open connection while the registry drains is still served.
 */
public final class InFlightRequests extends Handler.Wrapper {

    private final Object lock = new Object();
    // Guarded by lock.
    private int active;

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        begin();
        Callback counted = new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                end();
                super.succeeded();
            }

            @Override
            public void failed(Throwable failure) {
                end();
                super.failed(failure);
            }
        };
        boolean handled;
        try {
            handled = super.handle(request, response, counted);
        } catch (Throwable t) {
            end();
            throw t;
        }
        if (!handled) {
            end();
        }
        return handled;
    }

    private void begin() {
        synchronized (lock) {
            active++;
        }
    }

    private void end() {
        synchronized (lock) {
            active--;
            lock.notifyAll();
        }
    }

    /** Waits until no request is being handled, or the timeout passes; answers whether none is. */
    public boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (active > 0) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, remaining);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }
}
