package io.pganalytics.platform.role;

import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.fleet.FleetApi;
import io.pganalytics.api.views.FleetViews;
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
            "PGA_API_ADMIN_TOKEN). Ctrl-C or TERM stops taking requests, drains those in flight, and stops."})
public final class ApiCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file, e.g. api.port=8080, api.database.url=jdbc:postgresql://db/pganalytics_control, "
                    + "kafka.bootstrap.servers=kafka:9092. Optional when PGA_* variables say it all.")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ApiConfig apiConfig = ConfigFile.load(config, ApiConfig.FIELDS, ApiConfig::from);
        StopSignal stop = StopSignal.install();
        try (ApiServer server = FleetApi.start(apiConfig, FleetViews.Listener.NONE)) {
            spec.commandLine().getOut().println("API listening on " + server.url()
                    + (apiConfig.adminToken() == null ? " (no api.admin.token: every guarded route answers 401)" : ""));
            spec.commandLine().getOut().flush();
            stop.await();
        }
        return 0;
    }
}
