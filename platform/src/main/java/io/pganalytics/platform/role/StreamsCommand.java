package io.pganalytics.platform.role;

import io.pganalytics.streams.StreamsRole;
import io.pganalytics.streams.fleet.FleetStreamsRole;
import java.nio.file.Path;
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
            "pga.metrics.<family> (or pga.dlq), and heartbeats -> pga.fleet.status / pga.fleet.events.",
            "Configuration: a properties file (kafka.bootstrap.servers, schema.registry.url, streams.state.dir,",
            "streams.replication.factor, ingest.*), each key overridable by PGA_<KEY>, e.g. PGA_KAFKA_BOOTSTRAP_SERVERS.",
            "Run several to scale out; stops cleanly on Ctrl-C or TERM."})
public final class StreamsCommand implements Callable<Integer> {

    static final String ENV_PREFIX = "PGA_";

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file. Optional when PGA_* variables say it all.")
    Path config;


    @Override
    public Integer call() throws Exception {
        StreamsRole role = ConfigFile.load(config, StreamsRole.keys().stream().map(StreamsRole.Key::name).toList(),
                ENV_PREFIX, StreamsRole::fromProperties);
        StopSignal stop = StopSignal.install();
        KafkaStreams ingest = role.start();
        KafkaStreams fleet = null;
        try {
            fleet = new FleetStreamsRole(role.bootstrapServers(), role.schemaRegistryUrl(), role.stateDir(),
                    role.replicationFactor()).start();
            stop.await();
        } finally {
            if (fleet != null) {
                FleetStreamsRole.stop(fleet);
            }
            StreamsRole.stop(ingest);
        }
        return 0;
    }
}
