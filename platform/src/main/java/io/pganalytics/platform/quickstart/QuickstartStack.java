package io.pganalytics.platform.quickstart;

import io.pganalytics.api.ApiConfig;
import io.pganalytics.api.ApiServer;
import io.pganalytics.api.fleet.FleetApi;
import io.pganalytics.fleet.admin.Accounts;
import io.pganalytics.fleet.admin.Actor;
import io.pganalytics.fleet.admin.ControlPlane;
import io.pganalytics.fleet.admin.ControlPlaneConfig;
import io.pganalytics.fleet.admin.ControlPlanes;
import io.pganalytics.collector.Collector;
import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Preset;
import io.pganalytics.collector.config.Target;
import io.pganalytics.embedded.EmbeddedConnect;
import io.pganalytics.embedded.EmbeddedKafka;
import io.pganalytics.embedded.EmbeddedPostgres;
import io.pganalytics.embedded.EmbeddedRegistry;
import io.pganalytics.audit.AuditConfig;
import io.pganalytics.audit.AuditRole;
import io.pganalytics.embedded.EmbeddedS3;
import io.pganalytics.schemas.audit.CheckpointKeys;
import io.pganalytics.schemas.TopicSpec;
import io.pganalytics.schemas.contract.TopicContract;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import io.pganalytics.sink.s3.S3BackupSinkConfig;
import io.pganalytics.sink.s3.S3Connection;
import io.pganalytics.sink.timescale.TimescaleSinkConfig;
import io.pganalytics.schemas.Topics;
import io.pganalytics.streams.StreamsRole;
import io.pganalytics.streams.rollup.RollupsStreamsRole;
import io.pganalytics.streams.runtime.RunningTopologies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.types.Password;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

/**
 * Everything the quickstart runs, in one process: the embedded infrastructure, then every role
 * against it, monitoring the embedded PostgreSQL itself under a demo workload.
 *
 * <p>Start-up order follows the data: stores first, then the registry, the processors and the sink
 * that consume, and the collector that produces last, so nothing it sends waits on a missing piece.
 * {@link #close()} stops them in reverse, each at most once, even after a partial start.
 */
public final class QuickstartStack implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(QuickstartStack.class);

    /** The metrics store database, which the sink writes and the API checks. */
    public static final String METRICS_DATABASE = "pganalytics";
    /** The control-plane database (fleet-admin's migrations), which the API manages the fleet in. */
    public static final String CONTROL_DATABASE = "pganalytics_control";
    /** The quickstart's first user, an admin. */
    public static final String ADMIN_USER = "admin";
    /** The database the demo workload runs on. */
    public static final String DEMO_DATABASE = "demo";
    /** The target id under which the quickstart monitors its own PostgreSQL. */
    public static final String TARGET_ID = "quickstart-postgres";
    public static final String COLLECTOR_ID = "quickstart";
    /** The fleet the quickstart's collector belongs to. */
    public static final String FLEET_GROUP = "quickstart";
    public static final String SINK_CONNECTOR = "pga-timescale-sink-database";
    /** The S3 backup sink of every metric family's data topics, into {@link #BACKUP_BUCKET} of the embedded store. */
    public static final String BACKUP_CONNECTOR = "pga-s3-backup";
    public static final String BACKUP_BUCKET = "pganalytics-backup";
    /** The standby's data directory under the quickstart's, and its replication slot on the primary. */
    static final String STANDBY_DIR = "postgres-standby";
    static final String STANDBY_SLOT = "quickstart_standby";

    static final int QUICKSTART_PARTITIONS = 1;

    private final QuickstartOptions options;
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private EmbeddedPostgres postgres;
    private EmbeddedPostgres standby;
    private EmbeddedKafka kafka;
    private EmbeddedRegistry registry;
    private EmbeddedS3 s3;
    private AuditRole audit;
    private EmbeddedConnect connect;
    private RunningTopologies streams;
    private DemoWorkload workload;
    private Collector collector;
    private ApiServer api;
    private ControlPlane controlPlane;
    private String firstAdminPassword;
    private boolean closed;

    private QuickstartStack(QuickstartOptions options) {
        this.options = options;
    }

    /** Starts the whole stack; on failure, stops what had started and rethrows. */
    public static QuickstartStack start(QuickstartOptions options) throws Exception {
        // A PostgreSQL orphaned by a killed quickstart still holds its port: stop it before judging ports.
        EmbeddedPostgres.stopOrphanedServer(options.dataDir().resolve("postgres"));
        EmbeddedPostgres.stopOrphanedServer(options.dataDir().resolve(STANDBY_DIR));
        PortCheck.requireFree(
                options.kafkaPort(), "--kafka-port",
                options.kafkaControllerPort(), "--kafka-controller-port",
                options.registryPort(), "--registry-port",
                options.connectPort(), "--connect-port",
                options.apiPort(), "--api-port",
                options.postgresPort(), "--postgres-port",
                options.s3Port(), "--s3-port");
        if (options.metricsStore() != null) {
            requireReachable(options.metricsStore());
        }
        QuickstartStack stack = new QuickstartStack(options);
        try {
            stack.startAll();
            return stack;
        } catch (Exception | Error e) {
            stack.close();
            throw e;
        }
    }

    private void startAll() throws Exception {
        Path data = options.dataDir();
        postgres = track(EmbeddedPostgres.builder().dataDir(data.resolve("postgres")).port(options.postgresPort()).start());
        postgres.createDatabaseIfMissing(METRICS_DATABASE);
        postgres.createDatabaseIfMissing(DEMO_DATABASE);
        postgres.createDatabaseIfMissing(CONTROL_DATABASE);
        standby = track(startStandby(data.resolve(STANDBY_DIR)));
        enableStatements(postgres);

        kafka = track(EmbeddedKafka.builder().dataDir(data.resolve("kafka")).port(options.kafkaPort())
                .controllerPort(options.kafkaControllerPort()).start());
        kafka.createTopics(TopicContract.all().stream().map(QuickstartStack::newTopic).toArray(NewTopic[]::new));

        registry = track(EmbeddedRegistry.start(kafka.bootstrapServers(), options.registryPort()));
        s3 = track(EmbeddedS3.builder().dataDir(data.resolve("s3")).port(options.s3Port()).start());

        // The same applications, started and stopped the same way, as `pganalytics streams`.
        streams = track(new StreamsRole(kafka.bootstrapServers(), registry.url(), data.resolve("streams"), 1)
                .start(new RollupsStreamsRole()));

        connect = track(EmbeddedConnect.builder().bootstrapServers(kafka.bootstrapServers())
                .port(options.connectPort()).start());
        connect.putConnector(SINK_CONNECTOR, sinkConfig());
        createBackupBucket();
        connect.putConnector(BACKUP_CONNECTOR, backupConfig());

        workload = track(DemoWorkload.start(postgres.jdbcUrl(DEMO_DATABASE), postgres.user(),
                options.demoTransactionsPerSecond()));
        collector = track(Collector.start(collectorConfig(), Map.of()));

        // Every guarded route needs a credential: the first start creates user "admin" with a generated password,
        // printed once in the banner (never stored but as its Argon2id hash).
        ControlPlaneConfig control = new ControlPlaneConfig(postgres.jdbcUrl(CONTROL_DATABASE), postgres.user(), null, 4,
                kafka.bootstrapServers(), registry.url(), fleetKeys(), true);
        ControlPlanes.migrate(control);
        controlPlane = track(ControlPlanes.open(control, "pga-quickstart-api"));
        if (controlPlane.accounts().user(ADMIN_USER).isEmpty()) {
            firstAdminPassword = Accounts.PasswordPolicy.generate();
            controlPlane.accounts().createUser(Actor.cli(System.getProperty("user.name", "quickstart"), "localhost"),
                    new Accounts.NewUser(ADMIN_USER, "admin", firstAdminPassword));
        }
        // The audit role: Debezium over the control-plane database, the chain's store, checkpoints signed into the
        // backup bucket with a key made on the first start (the chain itself is one of the streams applications).
        audit = track(AuditRole.start(auditConfig(control)));
        writeAuditProperties(control);
        api = track(FleetApi.start(new ApiConfig("127.0.0.1", options.apiPort(), control.databaseUrl(),
                postgres.user(), null, kafka.bootstrapServers()).withSchemaRegistry(registry.url())
                .withAuditPublicKey(auditPublicKeyFile()), controlPlane));
    }

    /** The audit role's configuration: checkpoints every 1,000 entries or 5 minutes, into {@link #BACKUP_BUCKET}. */
    AuditConfig auditConfig(ControlPlaneConfig control) throws java.io.IOException {
        Path keys = options.dataDir().resolve("audit");
        if (!Files.exists(keys.resolve("audit-checkpoint.key"))) {
            CheckpointKeys.write(CheckpointKeys.generate(), keys.resolve("audit-checkpoint.key"), auditPublicKeyFile());
        }
        return new AuditConfig(control, options.dataDir().resolve("audit").resolve("offsets.dat"), "pga_audit", "pga_audit",
                keys.resolve("audit-checkpoint.key"), 1000, java.time.Duration.ofMinutes(5), BACKUP_BUCKET,
                new S3Connection(s3.endpoint(), s3.region(), true, s3.accessKey(),
                        new org.apache.kafka.common.config.types.Password(s3.secretKey())));
    }

    /** The public key of the audit checkpoints, to pin wherever the chain is verified. */
    public Path auditPublicKeyFile() {
        return options.dataDir().resolve("audit").resolve("audit-checkpoint.pub");
    }

    /** What {@code pganalytics audit verify --config} needs to reach this stack's trail: {@code <data>/audit.properties}. */
    public Path auditPropertiesFile() {
        return options.dataDir().resolve("audit.properties");
    }

    private void writeAuditProperties(ControlPlaneConfig control) throws java.io.IOException {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(ControlPlaneConfig.Keys.DATABASE_URL.name(), control.databaseUrl());
        properties.put(ControlPlaneConfig.Keys.DATABASE_USER.name(), postgres.user());
        properties.put(ControlPlaneConfig.Keys.BOOTSTRAP_SERVERS.name(), kafka.bootstrapServers());
        properties.put(ControlPlaneConfig.Keys.SCHEMA_REGISTRY_URL.name(), registry.url());
        properties.put(AuditConfig.Keys.BUCKET.name(), BACKUP_BUCKET);
        properties.putAll(new java.util.TreeMap<>(s3ConnectionConfig()));
        StringBuilder text = new StringBuilder("# The quickstart's audit trail: ./pganalytics audit verify --config <this file> --public-key "
                + auditPublicKeyFile().toAbsolutePath().normalize() + "\n");
        properties.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Files.writeString(auditPropertiesFile(), text);
    }

    /**
     * The collector's configuration: the standard preset on the embedded server, its base interval the
     * quickstart's {@code --interval}, so that every standard family has records within a few seconds;
 * its spool under the data directory.
     */
    public CollectorConfig collectorConfig() {
        CollectorConfig config = new CollectorConfig(COLLECTOR_ID, kafka.bootstrapServers(), registry.url(),
                options.interval().toMillis(), options.interval().toMillis(),
                List.of(new Target(TARGET_ID, postgres.jdbcUrl("postgres"), postgres.user(), null).withPreset(Preset.STANDARD)));
        // The spool lives with the rest of the quickstart's state, not relative to wherever it was started.
        // The collector also joins fleet "quickstart", so that `pganalytics fleet targets put` adds
        // targets to it, and serves /metrics and /health on a free port.
        return config.withOperations(config.operations().withSpool(options.dataDir().resolve("spool"),
                config.operations().spoolMaxBytes()).withFleet(FLEET_GROUP, 15_000, fleetKeys()).withHttpPort(0));
    }

    /** The generated password of user {@link #ADMIN_USER} when this start created it; empty on later starts. */
    public java.util.Optional<String> firstAdminPassword() {
        return java.util.Optional.ofNullable(firstAdminPassword);
    }

    /** The JDBC URL of the control-plane database, for {@code pganalytics users --database-url}. */
    public String controlDatabaseUrl() {
        return postgres.jdbcUrl(CONTROL_DATABASE) + (postgres.user() == null ? "" : "?user=" + postgres.user());
    }

    /** The file holding the quickstart fleet's password key ({@code fleet.secret.keys}), made on the first start. */
    public Path fleetKeysFile() {
        return options.dataDir().resolve("fleet.keys");
    }

    private String fleetKeys() {
        return keptSecret(fleetKeysFile(), () -> io.pganalytics.schemas.secret.SecretBox.generateKey("quickstart"));
    }

    /** The secret in {@code file}, made by {@code make} and kept there (0600) on the first start. */
    private static String keptSecret(Path file, java.util.function.Supplier<String> make) {
        try {
            if (!Files.exists(file)) {
                Files.writeString(file, make.get());
                try {
                    Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException notPosix) {
                    // the data directory's own permissions protect it
                }
            }
            return Files.readString(file).strip();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read or write " + file, e);
        }
    }

    /**
     * A streaming standby of the embedded server, so that the replication families have something to
     * show: created by a base backup on the first start, started as it is on later ones.
     */
    private EmbeddedPostgres startStandby(Path dir) {
        if (Files.exists(dir.resolve("postgresql.conf"))) {
            return EmbeddedPostgres.builder().dataDir(dir).start();
        }
        return postgres.startStandby(dir, STANDBY_SLOT);
    }

    /** The statements family reads pg_stat_statements from the database the collector connects to. */
    private static void enableStatements(EmbeddedPostgres server) throws SQLException {
        try (Connection connection = server.dataSource("postgres").getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        }
    }

    /**
     * The sink connector's configuration: every metrics and rollup topic, values taken as bytes and decoded by the
     * sink itself (its fast path) with the schemas of our registry.
     */
    public Map<String, String> sinkConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("connector.class", "io.pganalytics.sink.timescale.TimescaleSinkConnector");
        config.put("tasks.max", "1");
        config.put("topics.regex", "pga\\.(metrics|rollups)\\..*");
        config.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        config.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        config.put(TimescaleSinkConfig.SCHEMA_REGISTRY_URL, registry.url());
        QuickstartOptions.MetricsStore store = metricsStore();
        config.put("connection.url", store.jdbcUrl());
        if (store.user() != null) {
            config.put("connection.user", store.user());
        }
        if (store.password() != null) {
            config.put(TimescaleSinkConfig.CONNECTION_PASSWORD, store.password());
        }
        config.put("errors.tolerance", "all");
        config.put("errors.deadletterqueue.topic.name", Topics.DLQ);
        config.put("errors.deadletterqueue.topic.replication.factor", "1");
        config.put("errors.deadletterqueue.context.headers.enable", "true");
        return config;
    }

    /**
     * The S3 backup sink's configuration: raw, validated and rollup topics of every family. Objects rotate every 10
     * seconds of record time so that a quickstart user sees backups at once; the default is 10 minutes.
     */
    public Map<String, String> backupConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("connector.class", "io.pganalytics.sink.s3.S3BackupSinkConnector");
        config.put("tasks.max", "1");
        config.put("topics", String.join(",", backupTopics()));
        config.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        config.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        config.put(S3BackupSinkConfig.BUCKET, BACKUP_BUCKET);
        config.putAll(s3ConnectionConfig());
        config.put(S3BackupSinkConfig.SCHEMA_REGISTRY_URL, registry.url());
        config.put(S3BackupSinkConfig.ROTATE_INTERVAL_MS, "10000");
        config.put("errors.tolerance", "all");
        config.put("errors.deadletterqueue.topic.name", Topics.DLQ);
        config.put("errors.deadletterqueue.topic.replication.factor", "1");
        config.put("errors.deadletterqueue.context.headers.enable", "true");
        return config;
    }

    /** The embedded store's endpoint and keys, as the backup sink and {@code pganalytics restore} take them. */
    public Map<String, String> s3ConnectionConfig() {
        return Map.of(
                S3Connection.ENDPOINT, s3.endpoint(),
                S3Connection.REGION, s3.region(),
                S3Connection.PATH_STYLE, "true",
                S3Connection.ACCESS_KEY_ID, s3.accessKey(),
                S3Connection.SECRET_ACCESS_KEY, s3.secretKey(),
                // Client-side envelope encryption of the backups, with the ring that seals the fleet's secrets (fleet.keys).
                S3Connection.ENCRYPTION_KEYS, fleetKeys());
    }

    /** What the quickstart backs up: the data topics of every metric family, the audit trail's and the control plane's changes. */
    public static List<String> backupTopics() {
        List<String> topics = new ArrayList<>();
        for (MetricFamily family : MetricFamilies.all()) {
            topics.add(family.rawTopic());
            topics.add(family.metricsTopic());
            for (Topics.Resolution resolution : Topics.Resolution.values()) {
                topics.add(family.rollupTopic(resolution));
            }
        }
        // The audit trail and the control plane's change streams: what a recovery of the control plane replays.
        topics.add(Topics.AUDIT_EVENTS);
        topics.add(Topics.AUDIT_LOG);
        Topics.CONTROL_TABLES.forEach(table -> topics.add(Topics.controlChanges(table)));
        return topics;
    }

    private void createBackupBucket() {
        S3Connection connection = new S3Connection(s3.endpoint(), s3.region(), true, s3.accessKey(),
                new Password(s3.secretKey()));
        try (S3Client client = connection.newClient()) {
            client.createBucket(b -> b.bucket(BACKUP_BUCKET));
        } catch (BucketAlreadyOwnedByYouException | BucketAlreadyExistsException e) {
            // A restart on the same data directory.
        }
    }

    /**
     * One partition per topic: the quickstart has one collector and one target, whose records share a
     * partition anyway. Six per topic (the production default) made ~450 partitions for 17 families,
     * which the broker recovers one by one after a kill -9 (12 s) and Streams runs as ~100 idle tasks.
     */
    private static NewTopic newTopic(TopicSpec spec) {
        return spec.newTopic(QUICKSTART_PARTITIONS, (short) 1);
    }

    private <T extends AutoCloseable> T track(T component) {
        started.push(component);
        return component;
    }

    public QuickstartOptions options() {
        return options;
    }

    public EmbeddedPostgres postgres() {
        return postgres;
    }

    /** Where the sink writes: the database named by {@code --metrics-store-url}, else the embedded one's. */
    public QuickstartOptions.MetricsStore metricsStore() {
        return options.metricsStore() != null ? options.metricsStore()
                : new QuickstartOptions.MetricsStore(postgres.jdbcUrl(METRICS_DATABASE), postgres.user(), null);
    }

    /**
     * Connects once to the metrics store named on the command line, so that a wrong URL, user or password stops the
     * start with its reason instead of leaving the sink's task failed inside Connect.
     */
    private static void requireReachable(QuickstartOptions.MetricsStore store) {
        Properties login = new Properties();
        if (store.user() != null) {
            login.setProperty("user", store.user());
        }
        if (store.password() != null) {
            login.setProperty("password", store.password());
        }
        login.setProperty("connectTimeout", "10");
        try (Connection c = DriverManager.getConnection(store.jdbcUrl(), login)) {
            c.isValid(10);
        } catch (SQLException e) {
            throw new MetricsStoreUnreachable("cannot use the metrics store " + store + " (--metrics-store-url): "
                    + e.getMessage());
        }
    }

    /** The database named by {@code --metrics-store-url} refused or could not be reached. */
    public static final class MetricsStoreUnreachable extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        MetricsStoreUnreachable(String message) {
            super(message);
        }
    }

    /** The streaming standby of {@link #postgres()}. */
    public EmbeddedPostgres standby() {
        return standby;
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    public EmbeddedRegistry registry() {
        return registry;
    }

    public EmbeddedS3 s3() {
        return s3;
    }

    public EmbeddedConnect connect() {
        return connect;
    }

    /** The stream processors' applications (ingest, fleet liveness, rollups, alerts). */
    public RunningTopologies streams() {
        return streams;
    }

    public Collector collector() {
        return collector;
    }

    public ApiServer api() {
        return api;
    }

    /** Stops everything that started, newest first; safe to call more than once. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        while (!started.isEmpty()) {
            AutoCloseable component = started.pop();
            try {
                component.close();
            } catch (Exception e) {
                LOG.warn("stopping {} failed: {}", component.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
