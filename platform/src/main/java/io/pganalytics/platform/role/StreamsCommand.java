package io.pganalytics.platform.role;

import io.pganalytics.streams.StreamsRole;
import io.pganalytics.streams.rollup.RollupsStreamsRole;
import io.pganalytics.streams.runtime.RunningTopologies;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pganalytics streams}: the stream processors (ingest and fleet liveness), exactly once.
 */
@Command(name = "streams",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the Kafka Streams topologies: pga.raw.<family> -> checks, quotas, counter deltas ->",
            "pga.metrics.<family> (or pga.dlq), heartbeats -> pga.fleet.status / pga.fleet.events,",
            "pga.metrics.* -> pga.rollups.*.1m|1h, and pga.alert-rules + pga.metrics.* -> pga.alerts.",
            "Configuration: a properties file (kafka.bootstrap.servers, schema.registry.url, streams.state.dir,",
            "streams.replication.factor, streams.rollups.grace.seconds, ingest.*), each key overridable by",
            "PGA_<KEY>, e.g. PGA_KAFKA_BOOTSTRAP_SERVERS.",
            "Run several to scale out; stops cleanly on Ctrl-C or TERM."})
public final class StreamsCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file. Optional when PGA_* variables say it all.")
    Path config;

    /** The role's shared and ingest settings, and the rollups' own. */
    private record Configured(StreamsRole role, RollupsStreamsRole rollups) {
    }

    @Override
    public Integer call() throws Exception {
        Configured configured = ConfigFile.load(config, StreamsRole.FIELDS,
                values -> new Configured(StreamsRole.from(values), RollupsStreamsRole.from(values)));
        StopSignal stop = StopSignal.install();
        RunningTopologies running = configured.role().start(configured.rollups());
        try {
            stop.await();
        } finally {
            running.close();
        }
        return 0;
    }
}
