package io.pganalytics.platform.quickstart;

import io.pganalytics.platform.role.StopSignal;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.family.MetricFamilies;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pganalytics quickstart}: the whole stack in one process, monitoring itself, until Ctrl-C.
 */
@Command(name = "quickstart",
        mixinStandardHelpOptions = true,
        description = {
            "Starts Kafka, the schema registry, Kafka Connect, PostgreSQL and an S3-compatible store",
            "in this process, runs every pgAnalytics role against them, and monitors the embedded",
            "PostgreSQL under a small demo workload. Stops cleanly on Ctrl-C.",
            "",
            "Data is kept in --data-dir: started again with the same directory, it carries on",
            "with the same topics, schemas and rows."})
public final class QuickstartCommand implements Callable<Integer> {

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = ".pganalytics",
            description = "Where every component keeps its data (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--kafka-port", defaultValue = "9092", description = "Kafka listener port (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--kafka-controller-port", defaultValue = "9093",
            description = "Kafka KRaft controller port (default: ${DEFAULT-VALUE}).")
    int kafkaControllerPort;

    @Option(names = "--registry-port", defaultValue = "8081", description = "Schema registry port (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(names = "--connect-port", defaultValue = "8083", description = "Kafka Connect REST port (default: ${DEFAULT-VALUE}).")
    int connectPort;

    @Option(names = "--api-port", defaultValue = "8080", description = "API port (default: ${DEFAULT-VALUE}).")
    int apiPort;

    @Option(names = "--postgres-port", defaultValue = "5433", description = "PostgreSQL port (default: ${DEFAULT-VALUE}).")
    int postgresPort;

    @Option(names = "--s3-port", defaultValue = "9000", description = "S3-compatible store port (default: ${DEFAULT-VALUE}).")
    int s3Port;

    @Option(names = "--interval", defaultValue = "5s", converter = DurationConverter.class,
            description = "How often the collector samples, e.g. 5s, 1m (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--metrics-store-url", paramLabel = "JDBC_URL",
            description = "Sink into this existing PostgreSQL or TimescaleDB database (jdbc:postgresql://HOST:PORT/DB)"
                    + " instead of the embedded one; its tables are created in it. The password, if any, is read from"
                    + " PGA_METRICS_STORE_PASSWORD.")
    String metricsStoreUrl;

    @Option(names = "--metrics-store-user", paramLabel = "USER", defaultValue = "postgres",
            description = "User for --metrics-store-url (default: ${DEFAULT-VALUE}).")
    String metricsStoreUser;

    @Option(names = "--demo-tps", defaultValue = "20",
            description = "Transactions per second of the demo workload (default: ${DEFAULT-VALUE}).")
    int demoTransactionsPerSecond;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        for (int port : new int[] {kafkaPort, kafkaControllerPort, registryPort, connectPort, apiPort, postgresPort, s3Port}) {
            if (port < 1 || port > 65535) {
                err.println("pganalytics quickstart: port " + port + " is not between 1 and 65535");
                return 2;
            }
        }
        if (metricsStoreUrl != null && !metricsStoreUrl.startsWith("jdbc:postgresql://")) {
            err.println("pganalytics quickstart: --metrics-store-url must be a PostgreSQL JDBC URL"
                    + " (jdbc:postgresql://HOST:PORT/DATABASE), got '" + metricsStoreUrl + "'");
            return 2;
        }
        StopSignal stop = StopSignal.install();

        long startNanos = System.nanoTime();
        out.println("Starting pgAnalytics quickstart (data in " + dataDir.toAbsolutePath().normalize() + ") ...");
        out.flush();
        QuickstartOptions options = new QuickstartOptions(dataDir.toAbsolutePath().normalize(), kafkaPort,
                kafkaControllerPort, registryPort, connectPort, apiPort, postgresPort, s3Port, interval,
                demoTransactionsPerSecond);
        if (metricsStoreUrl != null) {
            options = options.withMetricsStore(new QuickstartOptions.MetricsStore(metricsStoreUrl, metricsStoreUser,
                    System.getenv("PGA_METRICS_STORE_PASSWORD")));
        }
        QuickstartStack stack;
        try {
            stack = QuickstartStack.start(options);
        } catch (PortCheck.PortTakenException | QuickstartStack.MetricsStoreUnreachable e) {
            err.println("pganalytics quickstart: " + e.getMessage());
            return 2;
        }
        try {
            out.println(banner(stack, Duration.ofNanos(System.nanoTime() - startNanos)));
            out.flush();
            stop.await();
            out.println("Stopping pgAnalytics quickstart ...");
            out.flush();
        } finally {
            stack.close();
        }
        out.println("Stopped.");
        out.flush();
        return 0;
    }

    static String banner(QuickstartStack stack, Duration took) {
        var pg = stack.postgres();
        return """

                pgAnalytics is running (started in %.1f s). Press Ctrl-C to stop.

                  API           %s/api/v1   %s   (docs/api.md, docs/security.md)
                                  TOKEN=$(curl -s -H 'Content-Type: application/json' -d '{"name":"%s","password":"%s"}' \\
                                    %s/api/v1/auth/login | sed -E 's/.*"accessToken":"([^"]+)".*/\\1/')
                                  curl -H "Authorization: Bearer $TOKEN" %s/api/v1/collectors
                  Kafka         %s   topics: pga.raw|metrics.<family>, pga.rollups.<family>.1m|1h (%d families), %s
                  Registry      %s/subjects
                  Connect       %s/connectors
                  S3            %s   (access key %s, secret key %s)
                  Backups       s3://%s   (S3 backup sink of the pga.raw/metrics/rollups, pga.audit.* and pga.control.cdc.* topics; ./pganalytics restore --help)
                  Audit trail   GET %s/api/v1/audit (admins and auditors; docs/audit.md), checkpoints in s3://%s/audit/
                                  ./pganalytics audit verify --config %s --public-key %s
                  Metrics store %s
                                  SELECT datname, sampled_at, xact_commit, xact_commit_per_sec FROM database_metrics ORDER BY sampled_at DESC LIMIT 5;
                                  SELECT window_start, metric, mean, p95 FROM database_rollups_1m ORDER BY window_start DESC LIMIT 5;  (after the first minute closes)
                  Demo database psql postgresql://%s@%s:%d/%s   (a steady demo workload runs here)
                  Collector     http://127.0.0.1:%d/metrics  /health   (fleet "%s": ./pganalytics fleet status %s)
                  Add a target  PGA_FLEET_SECRET_KEYS="$(cat %s)" ./pganalytics fleet targets put %s \\
                                  --id mydb --url jdbc:postgresql://HOST:5432/postgres --user monitor --password-env MYDB_PASSWORD

                The collector samples PostgreSQL every %s; the first rows reach the metrics store within one interval.
                """.formatted(took.toMillis() / 1000.0,
                stack.api().url(), login(stack), QuickstartStack.ADMIN_USER,
                stack.firstAdminPassword().orElse("PASSWORD"), stack.api().url(), stack.api().url(),
                stack.kafka().bootstrapServers(), MetricFamilies.all().size(), Topics.DLQ,
                stack.registry().url(),
                stack.connect().restUrl(),
                stack.s3().endpoint(), stack.s3().accessKey(), stack.s3().secretKey(),
                QuickstartStack.BACKUP_BUCKET,
                stack.api().url(), QuickstartStack.BACKUP_BUCKET, stack.auditPropertiesFile().toAbsolutePath().normalize(),
                stack.auditPublicKeyFile().toAbsolutePath().normalize(),
                metricsStore(stack),
                pg.user(), pg.host(), pg.port(), QuickstartStack.DEMO_DATABASE,
                stack.collector().httpPort(), QuickstartStack.FLEET_GROUP, connection(stack),
                stack.fleetKeysFile().toAbsolutePath().normalize(), connection(stack),
                DurationConverter.format(stack.options().interval()));
    }

    /** How to query the metrics store: psql to the embedded one, or the database given with --metrics-store-url. */
    private static String metricsStore(QuickstartStack stack) {
        if (stack.options().metricsStore() != null) {
            return stack.metricsStore() + "   (--metrics-store-url)";
        }
        var pg = stack.postgres();
        return "psql postgresql://" + pg.user() + "@" + pg.host() + ":" + pg.port() + "/" + QuickstartStack.METRICS_DATABASE;
    }

    /** The first login: the password made by this start, printed this once, or how to set a new one. */
    private static String login(QuickstartStack stack) {
        return stack.firstAdminPassword()
                .map(password -> "login " + QuickstartStack.ADMIN_USER + " / " + password + "  (shown once: keep it)")
                .orElse("login " + QuickstartStack.ADMIN_USER + " (password shown at the first start; a new one: ./pganalytics users "
                        + "reset-password " + QuickstartStack.ADMIN_USER + " --generate-password --database-url '"
                        + stack.controlDatabaseUrl() + "')");
    }

    private static String connection(QuickstartStack stack) {
        return "--bootstrap-servers " + stack.kafka().bootstrapServers() + " --schema-registry-url " + stack.registry().url();
    }

    /** Reads durations as people write them: {@code 500ms}, {@code 5s}, {@code 1m}. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern FORMAT = Pattern.compile("(\\d+)(ms|s|m)");

        @Override
        public Duration convert(String value) {
            Matcher m = FORMAT.matcher(value.trim());
            if (!m.matches()) {
                throw new CommandLine.TypeConversionException("expected a duration like 5s, 500ms or 1m, got '" + value + "'");
            }
            long amount = Long.parseLong(m.group(1));
            Duration duration = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                default -> Duration.ofMinutes(amount);
            };
            if (duration.toMillis() < 1000) {
                throw new CommandLine.TypeConversionException("must be at least 1s, got '" + value + "'");
            }
            return duration;
        }

        static String format(Duration duration) {
            return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
        }
    }
}
