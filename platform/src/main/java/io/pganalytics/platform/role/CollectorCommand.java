package io.pganalytics.platform.role;

import io.pganalytics.collector.Collector;
import io.pganalytics.collector.config.CollectorConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pganalytics collector}: runs the collector role against real Kafka, a registry and targets.
 */
@Command(name = "collector",
        mixinStandardHelpOptions = true,
        description = {
            "Reads every configured PostgreSQL target's metric families at their intervals and",
            "produces them to Kafka, one topic per family, with heartbeats. With collector.fleet.group",
            "it also shares the targets of pga.fleet.targets with the other collectors of that fleet",
            "(docs/fleet.md); it always obeys pga.fleet.config and pga.fleet.control. Samples wait in",
            "an on-disk spool (collector.spool.dir) while Kafka is away. collector.http.port serves",
            "/metrics and /health. Configuration: a properties file, overridden by PGA_* environment",
            "variables (see docs/configuration.md). Stops cleanly on Ctrl-C or TERM."})
public final class CollectorCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file with collector.id, kafka.bootstrap.servers, schema.registry.url, "
                    + "collector.targets[N].id|url|user|password, and optionally collector.preset, per-family "
                    + "intervals and collector.custom[N].* SQL metrics (docs/configuration.md, docs/collector.md). "
                    + "Optional when PGA_* variables say it all.")
    Path config;


    @Override
    public Integer call() throws Exception {
        CollectorConfig collectorConfig = ConfigFile.load(config, CollectorConfig.FIELDS, CollectorConfig::from);
        StopSignal stop = StopSignal.install();
        try (Collector collector = Collector.start(collectorConfig, Map.of())) {
            stop.await();
        }
        return 0;
    }
}
