package io.pganalytics.collector.config;

import io.pganalytics.config.Check;
import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.config.Values;
import io.pganalytics.schemas.family.MetricFamilies;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The collector role's configuration: from a properties file, overridden by {@code PGA_*}
 * environment variables, validated once at start with errors that name the bad key.
 *
 * <p>Environment names are the keys upper-cased with every non-alphanumeric run turned into
 * {@code _}: {@code collector.targets[0].password} is {@code PGA_COLLECTOR_TARGETS_0_PASSWORD}.
 * Every key is declared once in {@link Keys}, with its default, rule and meaning; docs/configuration.md
 * shows {@link #FIELDS}' table, checked by a test.
 *
 * @param collectorId             {@code collector.id}
 * @param bootstrapServers        {@code kafka.bootstrap.servers}
 * @param schemaRegistryUrl       {@code schema.registry.url}
 * @param intervalMillis          {@code collector.interval.ms}: the base interval presets multiply
 * @param heartbeatIntervalMillis {@code collector.heartbeat.interval.ms}
 * @param targets                 {@code collector.targets[N].*}
 * @param preset                  {@code collector.preset}
 * @param familyIntervalMillis    {@code collector.families.<family>.interval.ms}: overrides for every target
 * @param statementTimeoutMillis  {@code collector.statement.timeout.ms}
 * @param tablesTop               {@code collector.tables.top}
 * @param databasesMax            {@code collector.databases.max}
 * @param queryTextMode           {@code collector.query.text.mode}
 * @param queryTextMaxLength      {@code collector.query.text.max.length}
 * @param customMetrics           {@code collector.custom[N].*}
 * @param operations              how the collector runs at fleet scale: workers, connections, spool,
 *                                fleet membership and its HTTP endpoint
 */
public record CollectorConfig(String collectorId, String bootstrapServers, String schemaRegistryUrl,
                              long intervalMillis, long heartbeatIntervalMillis, List<Target> targets,
                              Preset preset, Map<String, Long> familyIntervalMillis, long statementTimeoutMillis,
                              int tablesTop, int databasesMax, QueryTextMode queryTextMode, int queryTextMaxLength,
                              List<CustomMetric> customMetrics, Operations operations) {

    public static final String ID = "collector.id";
    public static final String BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String INTERVAL_MS = "collector.interval.ms";
    public static final String HEARTBEAT_INTERVAL_MS = "collector.heartbeat.interval.ms";
    public static final String PRESET = "collector.preset";
    public static final String STATEMENT_TIMEOUT_MS = "collector.statement.timeout.ms";
    public static final String TABLES_TOP = "collector.tables.top";
    public static final String DATABASES_MAX = "collector.databases.max";
    public static final String QUERY_TEXT_MODE = "collector.query.text.mode";
    public static final String QUERY_TEXT_MAX_LENGTH = "collector.query.text.max.length";

    public static final String WORKERS = "collector.workers";
    public static final String CONNECT_TIMEOUT_MS = "collector.connect.timeout.ms";
    public static final String SPOOL_DIR = "collector.spool.dir";
    public static final String SPOOL_MAX_BYTES = "collector.spool.max.bytes";
    public static final String FLEET_GROUP = "collector.fleet.group";
    public static final String FLEET_SESSION_TIMEOUT_MS = "collector.fleet.session.timeout.ms";
    public static final String SECRET_KEYS = "fleet.secret.keys";
    public static final String HTTP_PORT = "collector.http.port";
    public static final String API_URL = "collector.api.url";
    public static final String API_REGISTRATION_SECRET = "collector.api.registration.secret";
    public static final String API_IDENTITY_FILE = "collector.api.identity.file";

    /** The family that user-defined SQL metrics are produced to. */
    public static final String CUSTOM_FAMILY = "custom";

    /** Every key the collector reads, declared once: its type, default, rule and meaning. */
    public static final class Keys {

        private Keys() {
        }

        private static final Check<Long> FAMILY_INTERVAL_RULE = millis -> millis == 0 || millis >= 1000 ? null
                : "must be 0 (off) or at least 1000, got " + millis;

        public static final Field<String> ID = Field.string(CollectorConfig.ID).optional()
                .withCheck(Check.without("/", "it separates collector and target in record keys"))
                .withDefaultDescribed("required, unless `collector.api.url` is set")
                .withDoc("this collector's name; the first half of every record key; no `/`. With `collector.api.url`, "
                        + "the name it registers with (default: the host name); the id the API gives it replaces it");
        public static final Field<String> BOOTSTRAP_SERVERS = Field.string(CollectorConfig.BOOTSTRAP_SERVERS)
                .withDoc("Kafka, `host:port[,host:port]`");
        public static final Field<String> SCHEMA_REGISTRY_URL = Field.string(CollectorConfig.SCHEMA_REGISTRY_URL)
                .withDoc("the Confluent-compatible registry");
        public static final Field<Long> INTERVAL = Field.longValue(INTERVAL_MS).withDefault(10_000L)
                .withCheck(Check.atLeast(1000))
                .withDoc("the base interval (at least 1000); a preset reads each family every 1, 3, 6 or 30 base intervals");
        public static final Field<Long> HEARTBEAT_INTERVAL = Field.longValue(HEARTBEAT_INTERVAL_MS).withDefault(10_000L)
                .withCheck(Check.atLeast(1000)).withDoc("how often a heartbeat goes to `pga.fleet.heartbeats`");
        public static final Field<Preset> PRESET = preset(CollectorConfig.PRESET).withDefault(Preset.STANDARD)
                .withDoc("`minimal`, `standard` or `exhaustive`: which families are read and how often (see docs/collector.md)");
        public static final Field<Long> FAMILY_INTERVAL = Field.longValue("collector.families.<family>.interval.ms")
                .optional().withDefaultDescribed("the preset's").withCheck(FAMILY_INTERVAL_RULE)
                .withDoc("read `<family>` every so many ms on every target; `0` turns it off");
        public static final Field<Long> STATEMENT_TIMEOUT = Field.longValue(STATEMENT_TIMEOUT_MS).withDefault(5000L)
                .withCheck(Check.atLeast(100))
                .withDoc("`statement_timeout` of every collector query; the client gives up 2 s later");
        public static final Field<Integer> TABLES_TOP = Field.integer(CollectorConfig.TABLES_TOP).withDefault(200)
                .withCheck(Check.atLeast(1))
                .withDoc("tables and indexes read per database: the largest N (plus the 20 oldest by XID age)");
        public static final Field<Integer> DATABASES_MAX = Field.integer(CollectorConfig.DATABASES_MAX).withDefault(20)
                .withCheck(Check.atLeast(1))
                .withDoc("databases the per-database families read per target, when a target lists none");
        public static final Field<QueryTextMode> QUERY_TEXT_MODE = Field.of(CollectorConfig.QUERY_TEXT_MODE,
                        "normalized or none", text -> QueryTextMode.valueOf(text.toUpperCase(Locale.ROOT)),
                        mode -> mode.name().toLowerCase(Locale.ROOT))
                .withDefault(QueryTextMode.NORMALIZED)
                .withDoc("`normalized`: send each queryid's normalized text once; `none`: send no text");
        public static final Field<Integer> QUERY_TEXT_MAX_LENGTH = Field.integer(CollectorConfig.QUERY_TEXT_MAX_LENGTH)
                .withDefault(4096).withCheck(Check.atLeast(16)).withDoc("query texts are cut to this many characters");
        public static final Field<Integer> WORKERS = Field.integer(CollectorConfig.WORKERS).withDefault(8)
                .withCheck(Check.between(1, 1024))
                .withDoc("threads that run target cycles: bounds the queries in flight, not the number of targets");
        public static final Field<Long> CONNECT_TIMEOUT = Field.longValue(CONNECT_TIMEOUT_MS).withDefault(5000L)
                .withCheck(Check.atLeast(100)).withDoc("connect and login timeout of a target connection");
        public static final Field<Path> SPOOL_DIR = Field.path(CollectorConfig.SPOOL_DIR).optional()
                .withDefaultDescribed("`data/spool/<collector.id>`")
                .withDoc("where samples wait on disk while Kafka is slow or unreachable");
        public static final Field<Long> SPOOL_MAX_BYTES = Field.longValue(CollectorConfig.SPOOL_MAX_BYTES)
                .withDefault(256L << 20)
                .withCheck(bytes -> bytes >= 1 << 20 ? null : "must be at least 1048576 (1 MiB), got " + bytes)
                .withDoc("the spool's size; when full, the oldest samples are dropped and counted per family");
        public static final Field<String> FLEET_GROUP = Field.string(CollectorConfig.FLEET_GROUP).optional()
                .withCheck(group -> group.matches("[A-Za-z0-9._-]+") ? null
                        : "letters, digits, '.', '_' and '-' only, got '" + group + "'")
                .withDoc("share the targets of `pga.fleet.targets` with the other collectors of this fleet (a Kafka "
                        + "consumer group); none: only `collector.targets[N]`");
        public static final Field<Long> FLEET_SESSION_TIMEOUT = Field.longValue(FLEET_SESSION_TIMEOUT_MS)
                .withDefault(15_000L).withCheck(Check.atLeast(3000))
                .withDoc("how long a collector that died keeps its fleet targets before the others take them over");
        public static final Field<String> SECRET_KEYS = Field.string(CollectorConfig.SECRET_KEYS).optional().secret()
                .withDoc("`keyId:base64Key[,...]`: AES-256 keys that decrypt fleet targets' passwords; never logged");
        public static final Field<Integer> HTTP_PORT = Field.integer(CollectorConfig.HTTP_PORT).withDefault(-1)
                .withCheck(port -> port >= -1 && port <= 65535 ? null
                        : "must be -1 (off), 0 (any free port) or a port, got " + port)
                .withDoc("port of `/metrics` (Prometheus) and `/health`; `-1` off, `0` any free port");
        public static final Field<String> API_URL = Field.string(CollectorConfig.API_URL).optional()
                .withCheck(Check.matching("https?://[^/\\s]+(:[0-9]+)?/?", "http(s)://host:port"))
                .withDoc("the control-plane API; set: the collector registers itself there at its first start "
                        + "and keeps the id it gets in `collector.api.identity.file`");
        public static final Field<String> API_REGISTRATION_SECRET = Field.string(CollectorConfig.API_REGISTRATION_SECRET)
                .optional().secret()
                .withDoc("the registration secret (`pga_r_...`) the first start registers with; never logged");
        public static final Field<Path> API_IDENTITY_FILE = Field.path(CollectorConfig.API_IDENTITY_FILE).optional()
                .withDefaultDescribed("`identity.json` next to the spool directory")
                .withDoc("where the registered id and token are kept (written once, mode 0600)");

        public static final Field<String> TARGET_ID = Field.string("collector.targets[N].id")
                .withCheck(Check.without("/", "it separates collector and target in record keys"))
                .withDoc("the target's stable name; the second half of the record key; no `/`; unique");
        public static final Field<String> TARGET_URL = Field.string("collector.targets[N].url")
                .withCheck(url -> url.startsWith("jdbc:postgresql://") ? null
                        : "expected jdbc:postgresql://host:port/db, got '" + url + "'")
                .withDoc("`jdbc:postgresql://host:port/database`");
        public static final Field<String> TARGET_USER = Field.string("collector.targets[N].user").optional()
                .withDoc("a role with `pg_monitor` is enough (see docs/collector.md)");
        public static final Field<String> TARGET_PASSWORD = Field.string("collector.targets[N].password").optional()
                .secret().withDoc("never logged");
        public static final Field<Preset> TARGET_PRESET = preset("collector.targets[N].preset").optional()
                .withDefaultDescribed("`collector.preset`").withDoc("this target's preset");
        public static final Field<List<String>> TARGET_DATABASES = Field.list("collector.targets[N].databases")
                .withDefault(List.of()).withDefaultDescribed("every database")
                .withDoc("comma-separated databases for `tables` and `indexes`");
        public static final Field<Long> TARGET_FAMILY_INTERVAL =
                Field.longValue("collector.targets[N].families.<family>.interval.ms").optional()
                        .withDefaultDescribed("as above").withCheck(FAMILY_INTERVAL_RULE)
                        .withDoc("this target's interval for `<family>`; `0` turns it off");

        public static final Field<String> CUSTOM_NAME = Field.string("collector.custom[N].name")
                .withCheck(Check.matching("[a-z][a-z0-9_]*", "lower case letters, digits and _"))
                .withDoc("a custom SQL metric's name: lower case, digits and `_`");
        public static final Field<String> CUSTOM_SQL = Field.string("collector.custom[N].sql")
                .withDoc("one `SELECT`, run on each target's own database");
        public static final Field<List<String>> CUSTOM_LABELS = columns("labels")
                .withDoc("comma-separated columns that identify a row");
        public static final Field<List<String>> CUSTOM_COUNTERS = columns("counters")
                .withDoc("comma-separated cumulative numeric columns");
        public static final Field<List<String>> CUSTOM_GAUGES = columns("gauges")
                .withDoc("comma-separated instantaneous numeric columns");
        public static final Field<Long> CUSTOM_INTERVAL = Field.longValue("collector.custom[N].interval.ms")
                .withDefault(0L).withDefaultDescribed("`collector.interval.ms`")
                .withCheck(millis -> millis == 0 || millis >= 1000 ? null : "must be at least 1000, got " + millis)
                .withDoc("how often it runs");
        public static final Field<Integer> CUSTOM_MIN_SERVER_VERSION = Field.integer("collector.custom[N].min.server.version")
                .withDefault(0).withDoc("`server_version_num` below which it is skipped");

        private static Field<Preset> preset(String name) {
            return Field.of(name, "minimal, standard or exhaustive",
                    text -> Preset.valueOf(text.toUpperCase(Locale.ROOT)), Preset::configName);
        }

        private static Field<List<String>> columns(String kind) {
            return Field.list("collector.custom[N]." + kind).withDefault(List.of()).withDefaultDescribed("none");
        }
    }

    /** Every key the collector reads, in the order docs/configuration.md lists them, overridden by {@code PGA_*}. */
    public static final Fields FIELDS = Fields.of("PGA_", Keys.ID, Keys.BOOTSTRAP_SERVERS, Keys.SCHEMA_REGISTRY_URL,
            Keys.INTERVAL, Keys.HEARTBEAT_INTERVAL, Keys.PRESET, Keys.FAMILY_INTERVAL, Keys.STATEMENT_TIMEOUT,
            Keys.TABLES_TOP, Keys.DATABASES_MAX, Keys.QUERY_TEXT_MODE, Keys.QUERY_TEXT_MAX_LENGTH, Keys.WORKERS,
            Keys.CONNECT_TIMEOUT, Keys.SPOOL_DIR, Keys.SPOOL_MAX_BYTES, Keys.FLEET_GROUP, Keys.FLEET_SESSION_TIMEOUT,
            Keys.SECRET_KEYS, Keys.HTTP_PORT, Keys.API_URL, Keys.API_REGISTRATION_SECRET, Keys.API_IDENTITY_FILE, Keys.TARGET_ID, Keys.TARGET_URL, Keys.TARGET_USER, Keys.TARGET_PASSWORD,
            Keys.TARGET_PRESET, Keys.TARGET_DATABASES, Keys.TARGET_FAMILY_INTERVAL, Keys.CUSTOM_NAME, Keys.CUSTOM_SQL,
            Keys.CUSTOM_LABELS, Keys.CUSTOM_COUNTERS, Keys.CUSTOM_GAUGES, Keys.CUSTOM_INTERVAL,
            Keys.CUSTOM_MIN_SERVER_VERSION);

    /**
     * How the collector runs at fleet scale.
     *
     * @param workers                 {@code collector.workers}: threads that run target cycles, i.e. the most
     *                                queries in flight at once, whatever the number of targets
     * @param connectTimeoutMillis    {@code collector.connect.timeout.ms}
     * @param spoolDir                {@code collector.spool.dir}: where samples wait while Kafka is slow or away
     * @param spoolMaxBytes           {@code collector.spool.max.bytes}: beyond it the oldest samples are dropped, and counted
     * @param fleetGroup              {@code collector.fleet.group}: the fleet whose targets this collector shares
     *                                through the consumer group over {@code pga.fleet.targets}; null: only the
     *                                configured targets
     * @param fleetSessionTimeoutMillis {@code collector.fleet.session.timeout.ms}: how long a dead collector keeps
     *                                its targets before the others take them over
     * @param secretKeys              {@code fleet.secret.keys}: {@code keyId:base64Key[,...]}, the AES-256 keys that
     *                                decrypt fleet targets' passwords; never logged
     * @param httpPort                {@code collector.http.port}: {@code /metrics} and {@code /health}; -1 off, 0 any free port
     * @param api                     {@code collector.api.*}: self-registration with the control plane; null: none
     */
    public record Operations(int workers, long connectTimeoutMillis, Path spoolDir, long spoolMaxBytes,
                             String fleetGroup, long fleetSessionTimeoutMillis, String secretKeys, int httpPort,
                             ApiRegistration api) {

        /** Operations without self-registration. */
        public Operations(int workers, long connectTimeoutMillis, Path spoolDir, long spoolMaxBytes,
                          String fleetGroup, long fleetSessionTimeoutMillis, String secretKeys, int httpPort) {
            this(workers, connectTimeoutMillis, spoolDir, spoolMaxBytes, fleetGroup, fleetSessionTimeoutMillis, secretKeys,
                    httpPort, null);
        }

        /** Follows the rules of {@link Keys}; an {@link InvalidValue} names every key that does not. */
        public Operations {
            List<InvalidValue.Problem> problems = new ArrayList<>();
            Keys.WORKERS.problemWith(workers).ifPresent(problems::add);
            Keys.CONNECT_TIMEOUT.problemWith(connectTimeoutMillis).ifPresent(problems::add);
            if (spoolDir == null) {
                problems.add(new InvalidValue.Problem(SPOOL_DIR, "required"));
            }
            Keys.SPOOL_MAX_BYTES.problemWith(spoolMaxBytes).ifPresent(problems::add);
            Keys.FLEET_GROUP.problemWith(fleetGroup).ifPresent(problems::add);
            Keys.FLEET_SESSION_TIMEOUT.problemWith(fleetSessionTimeoutMillis).ifPresent(problems::add);
            Keys.HTTP_PORT.problemWith(httpPort).ifPresent(problems::add);
            InvalidValue.throwIfAny(problems);
        }

        /** The defaults, spooling under {@code data/spool/<collectorId>}. */
        public static Operations defaults(String collectorId) {
            return new Operations(Keys.WORKERS.defaultValue(), Keys.CONNECT_TIMEOUT.defaultValue(),
                    defaultSpoolDir(collectorId), Keys.SPOOL_MAX_BYTES.defaultValue(), null,
                    Keys.FLEET_SESSION_TIMEOUT.defaultValue(), null, Keys.HTTP_PORT.defaultValue());
        }

        private static Path defaultSpoolDir(String collectorId) {
            return Path.of("data", "spool", collectorId == null ? "collector" : collectorId);
        }

        public Operations withSpool(Path dir, long maxBytes) {
            return new Operations(workers, connectTimeoutMillis, dir, maxBytes, fleetGroup, fleetSessionTimeoutMillis, secretKeys, httpPort, api);
        }

        public Operations withWorkers(int count) {
            return new Operations(count, connectTimeoutMillis, spoolDir, spoolMaxBytes, fleetGroup, fleetSessionTimeoutMillis, secretKeys, httpPort, api);
        }

        public Operations withFleet(String group, long sessionTimeoutMillis, String keys) {
            return new Operations(workers, connectTimeoutMillis, spoolDir, spoolMaxBytes, group, sessionTimeoutMillis, keys, httpPort, api);
        }

        public Operations withHttpPort(int port) {
            return new Operations(workers, connectTimeoutMillis, spoolDir, spoolMaxBytes, fleetGroup, fleetSessionTimeoutMillis, secretKeys, port, api);
        }

        /** These operations registering with the control plane as {@code registration} says; null: no registration. */
        public Operations withApi(ApiRegistration registration) {
            return new Operations(workers, connectTimeoutMillis, spoolDir, spoolMaxBytes, fleetGroup, fleetSessionTimeoutMillis, secretKeys, httpPort, registration);
        }

        @Override
        public String toString() {
            return "Operations[workers=" + workers + ", connectTimeoutMillis=" + connectTimeoutMillis + ", spoolDir=" + spoolDir
                    + ", spoolMaxBytes=" + spoolMaxBytes + ", fleetGroup=" + fleetGroup + ", fleetSessionTimeoutMillis="
                    + fleetSessionTimeoutMillis + ", secretKeys=" + (secretKeys == null ? "none" : "***") + ", httpPort=" + httpPort
                    + ", api=" + api + "]";
        }
    }

    /**
     * Follows the rules of {@link Keys} and those across keys (unique target ids and custom metric names, known
     * families); an {@link InvalidValue} names every key that does not.
     */
    public CollectorConfig {
        List<InvalidValue.Problem> problems = new ArrayList<>();
        required(problems, Keys.ID, collectorId);
        required(problems, Keys.BOOTSTRAP_SERVERS, bootstrapServers);
        required(problems, Keys.SCHEMA_REGISTRY_URL, schemaRegistryUrl);
        Keys.INTERVAL.problemWith(intervalMillis).ifPresent(problems::add);
        Keys.HEARTBEAT_INTERVAL.problemWith(heartbeatIntervalMillis).ifPresent(problems::add);
        Keys.STATEMENT_TIMEOUT.problemWith(statementTimeoutMillis).ifPresent(problems::add);
        Keys.TABLES_TOP.problemWith(tablesTop).ifPresent(problems::add);
        Keys.DATABASES_MAX.problemWith(databasesMax).ifPresent(problems::add);
        Keys.QUERY_TEXT_MAX_LENGTH.problemWith(queryTextMaxLength).ifPresent(problems::add);
        familyIntervalMillis = Map.copyOf(familyIntervalMillis);
        familyIntervalMillis.forEach((family, millis) ->
                problems.addAll(familyProblems(Keys.FAMILY_INTERVAL.at(family), family, millis)));
        targets = List.copyOf(targets);
        var ids = new TreeSet<String>();
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            String prefix = "collector.targets[" + i + "]";
            List<InvalidValue.Problem> own = problemsOf(target);
            if (!own.isEmpty()) {
                problems.addAll(new InvalidValue(own).under(prefix).problems());
            } else if (!ids.add(target.id())) {
                problems.add(new InvalidValue.Problem(prefix + ".id", "'" + target.id() + "' is used by another target"));
            }
        }
        Objects.requireNonNull(operations, "operations");
        customMetrics = List.copyOf(customMetrics);
        var names = new TreeSet<String>();
        for (int i = 0; i < customMetrics.size(); i++) {
            CustomMetric metric = customMetrics.get(i);
            String prefix = "collector.custom[" + i + "].";
            int before = problems.size();
            required(problems, Keys.CUSTOM_NAME.at(i), metric.name());
            if (problems.size() == before && !names.add(metric.name())) {
                problems.add(new InvalidValue.Problem(prefix + "name", "'" + metric.name() + "' is used by another custom metric"));
            }
            required(problems, Keys.CUSTOM_SQL.at(i), metric.sql());
            if (metric.counters().isEmpty() && metric.gauges().isEmpty()) {
                problems.add(new InvalidValue.Problem(prefix + "counters",
                        "a custom metric needs at least one counter or gauge column"));
            }
            var columns = new TreeSet<String>();
            for (String column : concat(metric.labels(), metric.counters(), metric.gauges())) {
                if (!columns.add(column)) {
                    problems.add(new InvalidValue.Problem(prefix + "labels", "column '" + column + "' is declared twice"));
                }
            }
            Keys.CUSTOM_INTERVAL.at(i).problemWith(metric.intervalMillis()).ifPresent(problems::add);
        }
        InvalidValue.throwIfAny(problems);
    }

    /**
     * What is wrong with {@code target} on its own, each problem's path relative to the target ({@code url},
     * {@code families.tables.interval.ms}): the rules a configured target follows, for targets from elsewhere
     * (the fleet) too.
     */
    public static List<InvalidValue.Problem> problemsOf(Target target) {
        List<InvalidValue.Problem> problems = new ArrayList<>();
        String prefix = "collector.targets[0].";
        List<InvalidValue.Problem> absolute = new ArrayList<>();
        required(absolute, Keys.TARGET_ID.at(0), target.id());
        required(absolute, Keys.TARGET_URL.at(0), target.jdbcUrl());
        target.intervalMillis().forEach((family, millis) ->
                absolute.addAll(familyProblems(Keys.TARGET_FAMILY_INTERVAL.at(0, family), family, millis)));
        for (InvalidValue.Problem problem : absolute) {
            problems.add(new InvalidValue.Problem(problem.path().substring(prefix.length()), problem.reason()));
        }
        return problems;
    }

    /** A configuration with the standard preset and every other setting at its default. */
    public CollectorConfig(String collectorId, String bootstrapServers, String schemaRegistryUrl,
                           long intervalMillis, long heartbeatIntervalMillis, List<Target> targets) {
        this(collectorId, bootstrapServers, schemaRegistryUrl, intervalMillis, heartbeatIntervalMillis, targets,
                Keys.PRESET.defaultValue(), Map.of(), Keys.STATEMENT_TIMEOUT.defaultValue(), Keys.TABLES_TOP.defaultValue(),
                Keys.DATABASES_MAX.defaultValue(), Keys.QUERY_TEXT_MODE.defaultValue(),
                Keys.QUERY_TEXT_MAX_LENGTH.defaultValue(), List.of(), Operations.defaults(collectorId));
    }

    /** This configuration with other custom metrics. */
    public CollectorConfig withCustomMetrics(List<CustomMetric> metrics) {
        return new CollectorConfig(collectorId, bootstrapServers, schemaRegistryUrl, intervalMillis, heartbeatIntervalMillis,
                targets, preset, familyIntervalMillis, statementTimeoutMillis, tablesTop, databasesMax, queryTextMode,
                queryTextMaxLength, metrics, operations);
    }

    /** This configuration with other targets. */
    public CollectorConfig withTargets(List<Target> others) {
        return new CollectorConfig(collectorId, bootstrapServers, schemaRegistryUrl, intervalMillis, heartbeatIntervalMillis,
                others, preset, familyIntervalMillis, statementTimeoutMillis, tablesTop, databasesMax, queryTextMode,
                queryTextMaxLength, customMetrics, operations);
    }

    /** This configuration with other family intervals for every target (0: off), e.g. from {@code pga.fleet.config}. */
    public CollectorConfig withFamilyIntervals(Map<String, Long> intervals) {
        return new CollectorConfig(collectorId, bootstrapServers, schemaRegistryUrl, intervalMillis, heartbeatIntervalMillis,
                targets, preset, intervals, statementTimeoutMillis, tablesTop, databasesMax, queryTextMode,
                queryTextMaxLength, customMetrics, operations);
    }

    /** This configuration under another collector id, e.g. the one the control plane gave at registration. */
    public CollectorConfig withCollectorId(String id) {
        return new CollectorConfig(id, bootstrapServers, schemaRegistryUrl, intervalMillis, heartbeatIntervalMillis,
                targets, preset, familyIntervalMillis, statementTimeoutMillis, tablesTop, databasesMax, queryTextMode,
                queryTextMaxLength, customMetrics, operations);
    }

    /** This configuration with other operational settings. */
    public CollectorConfig withOperations(Operations other) {
        return new CollectorConfig(collectorId, bootstrapServers, schemaRegistryUrl, intervalMillis, heartbeatIntervalMillis,
                targets, preset, familyIntervalMillis, statementTimeoutMillis, tablesTop, databasesMax, queryTextMode,
                queryTextMaxLength, customMetrics, other);
    }

    /**
     * What to read from {@code target} and how often: family name to interval in ms, in the
     * preset's order; families turned off are absent. Custom metrics are scheduled by their own
     * intervals (see {@link #customIntervalMillis}).
     */
    public Map<String, Long> schedule(Target target) {
        Preset chosen = target.preset() != null ? target.preset() : preset;
        Map<String, Long> schedule = new LinkedHashMap<>();
        chosen.multiples().forEach((family, multiple) -> schedule.put(family, multiple * intervalMillis));
        familyIntervalMillis.forEach((family, millis) -> schedule.put(family, millis));
        target.intervalMillis().forEach((family, millis) -> schedule.put(family, millis));
        schedule.values().removeIf(millis -> millis == 0);
        schedule.remove(CUSTOM_FAMILY);
        return schedule;
    }

    /** The client-side deadline of one collector query: the server's statement_timeout plus 2 s. */
    public int clientDeadlineSeconds() {
        return (int) ((statementTimeoutMillis + 999) / 1000) + 2;
    }

    /** How often a custom metric runs. */
    public long customIntervalMillis(CustomMetric metric) {
        return metric.intervalMillis() == 0 ? intervalMillis : metric.intervalMillis();
    }

    /** Reads the configuration from properties, with {@code PGA_*} environment variables taking precedence. */
    public static CollectorConfig from(Properties file, Map<String, String> env) {
        Map<String, String> properties = new LinkedHashMap<>();
        file.stringPropertyNames().forEach(key -> properties.put(key, file.getProperty(key)));
        return from(FIELDS.read(properties, env));
    }

    /**
     * The configuration {@code values} (read against {@link #FIELDS}) describe; every bad value, those across
     * keys included, comes in one {@link InvalidValue}.
     */
    public static CollectorConfig from(Values values) {
        List<Target> targets = new ArrayList<>();
        for (int index : values.indexes("collector.targets")) {
            Map<String, Long> intervals = new TreeMap<>();
            Field<Long> familyTemplate = Keys.TARGET_FAMILY_INTERVAL.at(index);
            for (String family : values.words(familyTemplate)) {
                intervals.put(family, values.get(familyTemplate.at(family)));
            }
            targets.add(new Target(text(values, Keys.TARGET_ID.at(index)), text(values, Keys.TARGET_URL.at(index)),
                    values.get(Keys.TARGET_USER.at(index)), values.get(Keys.TARGET_PASSWORD.at(index)),
                    values.get(Keys.TARGET_PRESET.at(index)), intervals, values.get(Keys.TARGET_DATABASES.at(index))));
        }
        List<CustomMetric> customs = new ArrayList<>();
        for (int index : values.indexes("collector.custom")) {
            customs.add(new CustomMetric(text(values, Keys.CUSTOM_NAME.at(index)), text(values, Keys.CUSTOM_SQL.at(index)),
                    values.get(Keys.CUSTOM_INTERVAL.at(index)), values.get(Keys.CUSTOM_LABELS.at(index)),
                    values.get(Keys.CUSTOM_COUNTERS.at(index)), values.get(Keys.CUSTOM_GAUGES.at(index)),
                    values.get(Keys.CUSTOM_MIN_SERVER_VERSION.at(index))));
        }
        Map<String, Long> familyIntervals = new TreeMap<>();
        for (String family : values.words(Keys.FAMILY_INTERVAL)) {
            familyIntervals.put(family, values.get(Keys.FAMILY_INTERVAL.at(family)));
        }
        String collectorId = values.get(Keys.ID);
        String apiUrl = values.get(Keys.API_URL);
        if (collectorId == null && apiUrl == null) {
            values.reject(ID, "required (or set " + API_URL + " and " + API_REGISTRATION_SECRET + " to register and get one)");
        }
        String name = collectorId != null ? collectorId : ApiRegistration.hostname();
        if (collectorId == null) {
            collectorId = name; // until the registration replaces it with the id the control plane gave
        }
        Path spoolDir = values.get(Keys.SPOOL_DIR);
        Path spool = spoolDir != null ? spoolDir : Operations.defaultSpoolDir(collectorId);
        ApiRegistration api = null;
        if (apiUrl != null) {
            Path identity = values.get(Keys.API_IDENTITY_FILE);
            api = new ApiRegistration(apiUrl, values.get(Keys.API_REGISTRATION_SECRET), name,
                    identity != null ? identity : ApiRegistration.defaultIdentityFile(spool));
        } else if (values.has(Keys.API_REGISTRATION_SECRET)) {
            values.reject(API_REGISTRATION_SECRET, "set " + API_URL + " too, or leave it out");
        }
        Operations operations = new Operations(values.get(Keys.WORKERS), values.get(Keys.CONNECT_TIMEOUT),
                spool, values.get(Keys.SPOOL_MAX_BYTES),
                values.get(Keys.FLEET_GROUP), values.get(Keys.FLEET_SESSION_TIMEOUT), values.get(Keys.SECRET_KEYS),
                values.get(Keys.HTTP_PORT), api);
        values.validate();
        return new CollectorConfig(collectorId, values.get(Keys.BOOTSTRAP_SERVERS), values.get(Keys.SCHEMA_REGISTRY_URL),
                values.get(Keys.INTERVAL), values.get(Keys.HEARTBEAT_INTERVAL), targets, values.get(Keys.PRESET),
                familyIntervals, values.get(Keys.STATEMENT_TIMEOUT), values.get(Keys.TABLES_TOP),
                values.get(Keys.DATABASES_MAX), values.get(Keys.QUERY_TEXT_MODE), values.get(Keys.QUERY_TEXT_MAX_LENGTH),
                customs, operations);
    }

    /** A required text, or "" when absent: {@link Values#validate()} reports it before the records see it. */
    private static String text(Values values, Field<String> field) {
        return Objects.requireNonNullElse(values.get(field), "");
    }

    /** The environment variable that overrides a key. */
    public static String envName(String key) {
        return Field.string(key).environmentVariable(FIELDS.environmentPrefix());
    }

    private static List<InvalidValue.Problem> familyProblems(Field<Long> field, String family, long millis) {
        if (MetricFamilies.byName(family).isEmpty() || family.equals(CUSTOM_FAMILY)) {
            return List.of(new InvalidValue.Problem(field.name(), "unknown family '" + family + "'"));
        }
        return field.problemWith(millis).stream().toList();
    }

    private static void required(List<InvalidValue.Problem> problems, Field<String> field, String value) {
        if (value == null || value.isBlank()) {
            problems.add(new InvalidValue.Problem(field.name(), "required"));
        } else {
            field.problemWith(value).ifPresent(problems::add);
        }
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        List<String> all = new ArrayList<>();
        for (List<String> list : lists) {
            all.addAll(list);
        }
        return all;
    }
}
