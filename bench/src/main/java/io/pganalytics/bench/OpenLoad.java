package io.pganalytics.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.HttpClient;

/**
 * An open-model HTTP load: each stream sends its requests on a fixed schedule (request {@code i} is due at
 * {@code start + i / rate}) whatever the server does, and each latency is measured from the time the request was
 * due, not from when it left. A slow answer therefore also counts against every request that was due behind it,
 * which a closed loop (send, wait, send) hides: no coordinated omission.
 *
 * <p>The transport is Jetty's client with a bounded pool of keep-alive connections ({@value #CONNECTIONS}), the way a
 * browser or a reverse proxy talks to the API: a request due while every connection is busy waits in the client's
 * queue, and that wait is part of its latency. (The JDK's HttpClient opens a new connection for every request that
 * finds none idle; behind a slow second it opened thousands and ran the process out of file descriptors.)
 */
final class OpenLoad implements AutoCloseable {

    static final int CONNECTIONS = 32;

    /** One request of a stream, e.g. a page of collectors with some filters. */
    record Request(String label, String path) {
    }

    /** Requests sent at {@code ratePerSecond}, round robin over {@code requests}. */
    record Stream(String name, int ratePerSecond, List<Request> requests) {
    }

    /** What one label saw in the measured window. */
    record Result(String label, Histogram latencyNanos, long sent, long errors, String firstError, double seconds) {

        double achievedPerSecond() {
            return (latencyNanos.getTotalCount() - errors) / seconds;
        }
    }

    private final HttpClient client;
    private final String baseUrl;
    private final String authorization;

    OpenLoad(String baseUrl, String authorization) throws Exception {
        this.client = new HttpClient();
        client.setMaxConnectionsPerDestination(CONNECTIONS);
        client.setMaxRequestsQueuedPerDestination(1_000_000); // never refuse: the schedule is the load
        client.setConnectTimeout(5_000);
        client.setFollowRedirects(false);
        client.start();
        this.baseUrl = baseUrl;
        this.authorization = authorization;
    }

    @Override
    public void close() throws Exception {
        client.stop();
    }

    /**
     * Runs {@code streams} side by side for {@code seconds}, printing progress every {@code progressSeconds};
     * {@code record} false is a warm-up whose figures are thrown away.
     */
    List<Result> run(List<Stream> streams, int seconds, int progressSeconds, boolean record) throws InterruptedException {
        List<Label> labels = new ArrayList<>();
        List<Thread> schedulers = new ArrayList<>();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        AtomicLong maxDispatchLagNanos = new AtomicLong();
        for (Stream stream : streams) {
            List<Label> own = stream.requests().stream().map(Label::new).toList();
            labels.addAll(own);
            Thread scheduler = new Thread(() -> schedule(stream, own, start, end, maxDispatchLagNanos),
                    "load-" + stream.name());
            scheduler.setDaemon(true);
            schedulers.add(scheduler);
            scheduler.start();
        }
        long nextProgress = start + TimeUnit.SECONDS.toNanos(progressSeconds);
        while (schedulers.stream().anyMatch(Thread::isAlive)) {
            long now = System.nanoTime();
            if (now >= nextProgress) {
                progress(labels, (now - start) / 1_000_000_000L, record, maxDispatchLagNanos.getAndSet(0));
                nextProgress += TimeUnit.SECONDS.toNanos(progressSeconds);
            }
            for (Thread scheduler : schedulers) {
                scheduler.join(50);
            }
        }
        // Answers still on their way count, up to the client's timeout.
        long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(11);
        while (labels.stream().anyMatch(l -> l.completed.get() < l.sent.get()) && System.nanoTime() < drainUntil) {
            Thread.sleep(20);
        }
        List<Result> results = new ArrayList<>();
        for (Label label : labels) {
            label.total.add(label.recorder.getIntervalHistogram());
            long lost = label.sent.get() - label.completed.get();
            results.add(new Result(label.request.label(), label.total, label.sent.get(), label.errors.get() + lost,
                    lost > 0 ? lost + " never answered" : label.firstError, seconds));
        }
        return results;
    }

    private void schedule(Stream stream, List<Label> labels, long start, long end, AtomicLong maxDispatchLagNanos) {
        double periodNanos = 1e9 / stream.ratePerSecond();
        for (long i = 0; ; i++) {
            long due = start + (long) (i * periodNanos);
            if (due >= end) {
                return;
            }
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            maxDispatchLagNanos.accumulateAndGet(System.nanoTime() - due, Math::max);
            send(labels.get((int) (i % labels.size())), due);
        }
    }

    private void send(Label label, long due) {
        label.sent.incrementAndGet();
        client.newRequest(baseUrl + label.request.path())
                .timeout(10, TimeUnit.SECONDS)
                .headers(h -> {
                    if (authorization != null) {
                        h.put("Authorization", authorization);
                    }
                })
                .send(new BufferingResponseListener(1 << 20) {
                    @Override
                    public void onComplete(org.eclipse.jetty.client.Result result) {
                        label.recorder.recordValue(Math.max(1, System.nanoTime() - due));
                        if (result.isFailed() || result.getResponse().getStatus() != 200) {
                            if (label.errors.getAndIncrement() == 0) {
                                label.firstError = result.isFailed() ? result.getFailure().toString()
                                        : result.getResponse().getStatus() + " " + getContentAsString(StandardCharsets.UTF_8);
                            }
                        }
                        label.completed.incrementAndGet();
                    }
                });
    }

    private static void progress(List<Label> labels, long elapsedSeconds, boolean record, long maxDispatchLagNanos) {
        StringBuilder line = new StringBuilder(String.format("%s %3d s:", record ? "measure" : "warm-up", elapsedSeconds));
        for (Label label : labels) {
            Histogram interval = label.recorder.getIntervalHistogram();
            label.total.add(interval);
            line.append(String.format("  %s p99 %.1f ms (%d, %d err)", label.request.label(),
                    interval.getValueAtPercentile(99) / 1e6, interval.getTotalCount(), label.errors.get()));
        }
        line.append(String.format("  [generator late by up to %.1f ms]", maxDispatchLagNanos / 1e6));
        System.out.println(line);
    }

    /** The counters of one request label; the recorder takes values from many threads without locks. */
    private static final class Label {
        final Request request;
        final Recorder recorder = new Recorder(TimeUnit.SECONDS.toNanos(60), 3);
        final Histogram total = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        final AtomicLong sent = new AtomicLong();
        final AtomicLong completed = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        volatile String firstError;

        Label(Request request) {
            this.request = request;
        }
    }
}
