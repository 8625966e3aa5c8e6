package io.pganalytics.platform.role;

import io.pganalytics.registry.PasswordHash;
import io.pganalytics.registry.RegistryConfig;
import io.pganalytics.registry.SchemaRegistryServer;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pganalytics registry}: the Confluent-compatible schema registry, standalone, against any Kafka cluster.
 */
@Command(name = "registry",
        mixinStandardHelpOptions = true,
        subcommands = RegistryCommand.HashPassword.class,
        description = {
            "Runs the schema registry (Confluent REST API, state in the _schemas topic) against a",
            "Kafka cluster. Configuration: a properties file with the keys of",
            "schema-registry/README.md, each overridable by PGA_REGISTRY_<KEY> (e.g.",
            "PGA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS). Stops cleanly on Ctrl-C or TERM."})
public final class RegistryCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file, e.g. kafkastore.bootstrap.servers=kafka:9092 and port=8081. "
                    + "Optional when PGA_REGISTRY_* variables say it all.")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        RegistryConfig registryConfig = ConfigFile.load(config, RegistryConfig.FIELDS, RegistryConfig::from);
        StopSignal stop = StopSignal.install();
        try (SchemaRegistryServer server = SchemaRegistryServer.start(registryConfig)) {
            spec.commandLine().getOut().println("schema registry listening on " + server.url());
            spec.commandLine().getOut().flush();
            stop.await();
        }
        return 0;
    }

    /** {@code pganalytics registry hash-password}: the configuration form of a basic-auth password. */
    @Command(name = "hash-password",
            mixinStandardHelpOptions = true,
            description = {
                "Reads a password (without echo on a terminal, else one line of standard input) and prints",
                "its salted PBKDF2 form for authentication.basic.users, e.g. alice=<printed value>.",
                "The password is never taken as an argument, so it stays out of shell history and ps."})
    static final class HashPassword implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            char[] password;
            Console console = System.console();
            if (console != null) {
                password = console.readPassword("password: ");
            } else {
                String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                password = line == null ? null : line.toCharArray();
            }
            if (password == null || password.length == 0) {
                spec.commandLine().getErr().println("pganalytics registry hash-password: no password given");
                return 2;
            }
            spec.commandLine().getOut().println(PasswordHash.of(password));
            spec.commandLine().getOut().flush();
            java.util.Arrays.fill(password, '\0');
            return 0;
        }
    }
}
