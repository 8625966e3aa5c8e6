package io.pganalytics.platform.role;

import io.pganalytics.registry.RegistryConfig;
import io.pganalytics.registry.SchemaRegistryServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pganalytics registry}: the Confluent-compatible schema registry, standalone, against any Kafka cluster.
 */
@Command(name = "registry",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the schema registry (Confluent REST API, state in the _schemas topic) against a",
            "Kafka cluster. Configuration: a properties file with the keys of",
            "schema-registry/README.md, each overridable by PGA_REGISTRY_<KEY> (e.g.",
            "PGA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS). Stops cleanly on Ctrl-C or TERM."})
public final class RegistryCommand implements Callable<Integer> {

    static final String ENV_PREFIX = "PGA_REGISTRY_";

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file, e.g. kafkastore.bootstrap.servers=kafka:9092 and port=8081. "
                    + "Optional when PGA_REGISTRY_* variables say it all.")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        RegistryConfig registryConfig;
        try {
            Map<String, String> values = ConfigFile.read(config,
                    RegistryConfig.keys().stream().map(RegistryConfig.Key::name).toList(), ENV_PREFIX, System.getenv());
            registryConfig = RegistryConfig.fromProperties(values);
        } catch (IllegalArgumentException | IOException e) {
            spec.commandLine().getErr().println("pganalytics registry: " + e.getMessage());
            return 2;
        }
        StopSignal stop = StopSignal.install();
        try (SchemaRegistryServer server = SchemaRegistryServer.start(registryConfig)) {
            spec.commandLine().getOut().println("schema registry listening on " + server.url());
            spec.commandLine().getOut().flush();
            stop.await();
        }
        return 0;
    }
}
