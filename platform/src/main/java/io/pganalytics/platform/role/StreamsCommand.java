package io.pganalytics.platform.role;

import io.pganalytics.streams.StreamsRole;
import io.pganalytics.streams.alert.AlertsStreamsRole;
import io.pganalytics.streams.fleet.FleetStreamsRole;
import io.pganalytics.streams.rollup.RollupsStreamsRole;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.concurrent.Callable;
import org.apache.kafka.streams.KafkaStreams;
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

    static final String ENV_PREFIX = "PGA_";

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file. Optional when PGA_* variables say it all.")
    Path config;


    @Override
    public Integer call() throws Exception {
        List<String> rollupKeys = RollupsStreamsRole.keys().stream().map(StreamsRole.Key::name).toList();
        // stream-processors: migrated separately (its keys are not Fields yet).
        RollupsStreamsRole rollupsRole = ConfigFile.loadUndeclared(config,
                Stream.concat(StreamsRole.keys().stream().map(StreamsRole.Key::name), rollupKeys.stream()).toList(),
                ENV_PREFIX, properties -> {
                    Map<String, String> shared = new HashMap<>(properties);
                    shared.keySet().removeAll(rollupKeys);
                    return RollupsStreamsRole.fromProperties(StreamsRole.fromProperties(shared), properties);
                });
        StreamsRole role = rollupsRole.streams();
        StopSignal stop = StopSignal.install();
        KafkaStreams ingest = role.start();
        KafkaStreams fleet = null;
        KafkaStreams rollups = null;
        KafkaStreams alerts = null;
        try {
            fleet = new FleetStreamsRole(role.bootstrapServers(), role.schemaRegistryUrl(), role.stateDir(),
                    role.replicationFactor()).start();
            rollups = rollupsRole.start();
            alerts = new AlertsStreamsRole(role).start();
            stop.await();
        } finally {
            if (alerts != null) {
                AlertsStreamsRole.stop(alerts);
            }
            if (rollups != null) {
                RollupsStreamsRole.stop(rollups);
            }
            if (fleet != null) {
                FleetStreamsRole.stop(fleet);
            }
            StreamsRole.stop(ingest);
        }
        return 0;
    }
}
