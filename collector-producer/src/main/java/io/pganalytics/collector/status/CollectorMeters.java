package io.pganalytics.collector.status;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.pganalytics.collector.produce.SampleProducer;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;

/**
 * The collector's self-metrics on {@code /metrics}: what it samples, skips and drops, its spool, and
 * the JVM it runs in. Every meter reads the collector's own counters when scraped, so nothing is
 * counted twice and the hot path pays nothing for them.
 */
public final class CollectorMeters {

    private CollectorMeters() {
    }

    /** Registers the meters; close what it returns with the collector (the GC meter listens to the JVM). */
    public static AutoCloseable bind(MeterRegistry registry, CollectorState collector) {
        FunctionCounter.builder("pga.collector.samples.produced", collector, CollectorState::samplesProduced)
                .description("samples acknowledged by Kafka").register(registry);
        FunctionCounter.builder("pga.collector.samples.failed", collector, CollectorState::samplesFailed)
                .description("samples that could not be read or produced").register(registry);
        FunctionCounter.builder("pga.collector.query.texts.produced", collector, CollectorState::queryTextsProduced)
                .register(registry);
        FunctionCounter.builder("pga.collector.cycles.run", collector, CollectorState::cyclesRun)
                .description("target cycles run to their end").register(registry);
        FunctionCounter.builder("pga.collector.cycles.skipped", collector, CollectorState::cyclesSkipped)
                .description("target cycles skipped: the previous one still ran, or no worker was free in time").register(registry);
        FunctionCounter.builder("pga.collector.cycles.overdue", collector, CollectorState::cyclesOverdue)
                .description("skipped cycles that found no free worker: collector.workers is too small").register(registry);
        Gauge.builder("pga.collector.targets", collector, c -> c.targetIds().size())
                .description("targets monitored now").register(registry);
        Gauge.builder("pga.collector.targets.unhealthy", collector,
                c -> c.status().stream().filter(status -> !status.healthy()).count())
                .description("targets that cannot be reached or have a failing family").register(registry);
        Gauge.builder("pga.collector.paused", collector, c -> c.paused() ? 1 : 0)
                .description("1 while stopped by pga.fleet.config or a stop command").register(registry);
        Gauge.builder("pga.collector.spool.used.bytes", collector, c -> c.spool().usage().usedBytes()).register(registry);
        Gauge.builder("pga.collector.spool.capacity.bytes", collector, c -> c.spool().usage().capacityBytes()).register(registry);
        Gauge.builder("pga.collector.spool.pending.records", collector, c -> c.spool().usage().pendingRecords())
                .description("samples in the spool not yet acknowledged by Kafka").register(registry);
        for (String family : families()) {
            FunctionCounter.builder("pga.collector.samples.dropped", collector, c -> c.spool().droppedByFamily().getOrDefault(family, 0L))
                    .description("samples dropped because the spool was full").tag("family", family).register(registry);
        }
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return gc;
    }

    private static java.util.List<String> families() {
        var names = new java.util.ArrayList<String>(MetricFamilies.all().stream().map(MetricFamily::name).toList());
        names.add(SampleProducer.QUERY_TEXTS_FAMILY);
        return names;
    }
}
