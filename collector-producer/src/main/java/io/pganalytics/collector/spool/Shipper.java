package io.pganalytics.collector.spool;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the spool's records to Kafka in order, on one thread, and settles each one in the spool when
 * Kafka acknowledges it.
 *
 * <p>At most {@code maxInFlight} records are handed to the producer at a time: the backlog of an
 * outage waits in the spool, not in the producer's memory. The producer is expected to retry
 * retriable errors for as long as it takes (see the collector's producer settings), so that per
 * partition, and so per key, it never reorders. When a send still fails with a retriable error (a
 * metadata timeout, a producer closing), the shipper stops sending, waits for every record in
 * flight to complete, and goes back to the oldest unacknowledged record: acknowledged ones are
 * skipped, the others are sent again in their order. A record Kafka refuses for good (too large,
 * not authorized) is given up, reported through {@link Outcome#rejected}, and settled.
 */
public final class Shipper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Shipper.class);
    private static final long POLL_MILLIS = 200;
    private static final long RETRY_BACKOFF_MILLIS = 1000;

    /** What became of a record; called on the producer's I/O thread, so it must be quick. */
    public interface Outcome {

        void acknowledged(SpoolRecord record);

        void rejected(SpoolRecord record, Exception error);
    }

    private final Spool spool;
    private final Producer<String, byte[]> producer;
    private final Outcome outcome;
    private final int maxInFlight;
    private final Thread thread;
    private final Object monitor = new Object();
    private final AtomicReference<Exception> retry = new AtomicReference<>();
    private int inFlight;
    private volatile boolean running = true;
    private volatile boolean stopping;

    private Shipper(Spool spool, Producer<String, byte[]> producer, Outcome outcome, int maxInFlight, String name) {
        this.spool = spool;
        this.producer = producer;
        this.outcome = outcome;
        this.maxInFlight = maxInFlight;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    /** Starts shipping on a thread of its own. */
    public static Shipper start(Spool spool, Producer<String, byte[]> producer, Outcome outcome, int maxInFlight, String threadName) {
        Shipper shipper = new Shipper(spool, producer, outcome, maxInFlight, threadName);
        shipper.thread.start();
        return shipper;
    }

    private void run() {
        while (running) {
            try {
                shipOnce();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // Never let the thread die: a dead shipper is a silent drop, only slower.
                LOG.warn("spool shipper: {}", e.toString());
                pause(RETRY_BACKOFF_MILLIS);
            }
            spool.checkpointIfDue();
        }
    }

    private void shipOnce() throws InterruptedException {
        Exception failure = retry.get();
        if (failure != null) {
            if (!awaitNothingInFlight()) {
                return;
            }
            LOG.warn("spool shipper: send failed ({}); resending from the oldest unacknowledged record in {} ms",
                    failure.getMessage(), RETRY_BACKOFF_MILLIS);
            pause(RETRY_BACKOFF_MILLIS);
            spool.rewind();
            retry.set(null);
            return;
        }
        synchronized (monitor) {
            if (inFlight >= maxInFlight) {
                monitor.wait(POLL_MILLIS);
                return;
            }
        }
        if (stopping) {
            return;
        }
        Spool.Spooled next = spool.next(POLL_MILLIS);
        if (next == null) {
            return;
        }
        synchronized (monitor) {
            inFlight++;
        }
        SpoolRecord record = next.record();
        try {
            producer.send(new ProducerRecord<>(record.topic(), record.key(), record.value()),
                    (metadata, error) -> completed(next, error));
        } catch (RuntimeException e) {
            completed(next, e);
        }
    }

    private void completed(Spool.Spooled sent, Exception error) {
        try {
            if (error == null) {
                spool.settle(sent.sequence());
                outcome.acknowledged(sent.record());
            } else if (spool.failed(sent.sequence(), sent.record().family())) {
                // its segment was dropped meanwhile: counted as dropped, nothing to resend
            } else if (error instanceof RetriableException || stopping) {
                retry.compareAndSet(null, error);
            } else {
                spool.settle(sent.sequence());
                LOG.warn("spool shipper: Kafka refused a {} record for good, not sent: {}", sent.record().family(), error.getMessage());
                outcome.rejected(sent.record(), error);
            }
        } finally {
            synchronized (monitor) {
                inFlight--;
                monitor.notifyAll();
            }
        }
    }

    /** Waits for the producer to complete every record handed to it; false when interrupted or stopped. */
    private boolean awaitNothingInFlight() throws InterruptedException {
        synchronized (monitor) {
            while (inFlight > 0) {
                if (!running) {
                    return false;
                }
                monitor.wait(POLL_MILLIS);
            }
        }
        return true;
    }

    private void pause(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (monitor) {
            long left;
            while (running && (left = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(monitor, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Records handed to the producer and not yet completed. */
    public int inFlight() {
        synchronized (monitor) {
            return inFlight;
        }
    }

    /**
     * Ships what is pending for at most {@code drain}, then stops the thread. The producer is the
     * caller's to close; records still unacknowledged stay in the spool for the next run.
     */
    public void close(Duration drain) {
        long deadline = System.nanoTime() + drain.toNanos();
        synchronized (monitor) {
            while (thread.isAlive() && (spool.usage().pendingRecords() > 0) && System.nanoTime() < deadline) {
                try {
                    monitor.wait(Math.max(1, Math.min(POLL_MILLIS, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        stopping = true;
        running = false;
        synchronized (monitor) {
            monitor.notifyAll();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(Duration.ZERO);
    }
}
