package io.pganalytics.platform.role;

import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.schemas.contract.TopicCreation;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pganalytics migrate}: brings the control-plane database to the current schema (Flyway) and creates every
 * topic of the contract that is missing, with its partitions and cleanup policy. Safe to run again.
 */
@Command(name = "migrate",
        mixinStandardHelpOptions = true,
        description = {
            "Applies the control-plane database migrations (control.database.url) and creates every",
            "Kafka topic of the contract (kafka.bootstrap.servers) with its partitions and cleanup policy.",
            "Existing topics are kept; one whose cleanup policy differs from the contract is reported",
            "and the command exits 1. Safe to run again. Keys: docs/configuration.md, each overridable by",
            "PGA_<KEY>, e.g. PGA_CONTROL_DATABASE_URL."})
public final class MigrateCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Properties file with control.database.url (and .user, .password), kafka.bootstrap.servers "
                    + "and schema.registry.url. Optional when PGA_* variables say it all.")
    Path config;

    @Option(names = "--replication-factor", paramLabel = "N",
            description = "Replication factor of the topics it creates; default: 3, or the number of brokers when fewer.")
    Short replicationFactor;

    @Option(names = "--skip-topics", description = "Only migrate the database.")
    boolean skipTopics;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ControlPlaneConfig controlPlane = ConfigFile.load(config, ControlPlaneConfig.FIELDS, ControlPlaneConfig::from);
        PrintWriter out = spec.commandLine().getOut();
        out.println("migrating the control-plane database at " + controlPlane.databaseUrl());
        out.flush();
        int applied = ControlPlanes.migrate(controlPlane);
        out.println(applied == 0 ? "the control-plane database is up to date" : "applied " + applied + " migration(s)");
        out.flush();
        if (skipTopics) {
            return 0;
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, controlPlane.bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
            short factor = replicationFactor != null ? replicationFactor
                    : (short) Math.min(3, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
            out.println("creating the topics of the contract at " + controlPlane.bootstrapServers() + " (replication factor " + factor + ")");
            out.flush();
            TopicCreation.Report report = TopicCreation.createAll(admin, factor, line -> {
                out.println("  " + line);
                out.flush();
            });
            out.println(report.created().size() + " topic(s) created, " + report.existing().size() + " existed"
                    + (report.problems().isEmpty() ? "" : ", " + report.problems().size() + " with the wrong cleanup policy"));
            out.flush();
            return report.problems().isEmpty() ? 0 : 1;
        }
    }
}
