package io.pganalytics.platform.role;

import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.fleet.FleetApi;
import io.pganalytics.fleet.admin.ControlPlane;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import java.util.Map;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pganalytics api}: the fleet-management API, standalone, against a control-plane database and Kafka.
 */
@Command(name = "api",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the fleet-management REST API (docs/api.md). Configuration: a properties file with",
            "the keys of docs/configuration.md (API), each overridable by PGA_<KEY> (e.g. PGA_API_PORT,",
            "PGA_CONTROL_DATABASE_URL); sign-in: docs/security.md. Ctrl-C or TERM stops taking requests, drains those in",
            "flight, and stops."})
public final class ApiCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file, e.g. api.port=8080, control.database.url=jdbc:postgresql://db/pganalytics_control, "
                    + "kafka.bootstrap.servers=kafka:9092. Optional when PGA_* variables say it all.")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Map.Entry<ApiConfig, ControlPlaneConfig> configs = ConfigFile.load(config, ApiConfig.FIELDS,
                values -> Map.entry(ApiConfig.from(values), ControlPlaneConfig.from(values)));
        ApiConfig apiConfig = configs.getKey();
        StopSignal stop = StopSignal.install();
        try (ControlPlane fleet = ControlPlanes.open(configs.getValue(), "pga-api");
             ApiServer server = FleetApi.start(apiConfig, fleet)) {
            spec.commandLine().getOut().println("API listening on " + server.url() + (fleet.accounts().users().isEmpty()
                    ? " (no user yet: pganalytics users add NAME --role admin --generate-password --config FILE)" : ""));
            spec.commandLine().getOut().flush();
            stop.await();
        }
        return 0;
    }
}
