package io.pganalytics.collector.config;

import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The collector role's configuration: from a properties file, overridden by {@code PGA_*}
 * environment variables, validated once at start with errors that name the bad key.
 *
 * <p>Environment names are the keys upper-cased with every non-alphanumeric run turned into
 * {@code _}: {@code collector.targets[0].password} is {@code PGA_COLLECTOR_TARGETS_0_PASSWORD}.
 * Every key is declared once in {@link #KEYS}, with its default and meaning; docs/configuration.md
 * is checked against that list by a test.
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
     */
    public record Operations(int workers, long connectTimeoutMillis, java.nio.file.Path spoolDir, long spoolMaxBytes,
                             String fleetGroup, long fleetSessionTimeoutMillis, String secretKeys, int httpPort) {

        public Operations {
            if (workers < 1 || workers > 1024) {
                throw new IllegalArgumentException(WORKERS + ": must be 1 to 1024, got " + workers);
            }
            if (connectTimeoutMillis < 100) {
                throw new IllegalArgumentException(CONNECT_TIMEOUT_MS + ": must be at least 100, got " + connectTimeoutMillis);
            }
            java.util.Objects.requireNonNull(spoolDir, SPOOL_DIR);
            if (spoolMaxBytes < 1 << 20) {
                throw new IllegalArgumentException(SPOOL_MAX_BYTES + ": must be at least 1048576 (1 MiB), got " + spoolMaxBytes);
            }
            if (fleetGroup != null && !fleetGroup.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException(FLEET_GROUP + ": letters, digits, '.', '_' and '-' only, got '" + fleetGroup + "'");
            }
            if (fleetSessionTimeoutMillis < 3000) {
                throw new IllegalArgumentException(FLEET_SESSION_TIMEOUT_MS + ": must be at least 3000, got " + fleetSessionTimeoutMillis);
            }
            if (httpPort < -1 || httpPort > 65535) {
                throw new IllegalArgumentException(HTTP_PORT + ": must be -1 (off), 0 (any free port) or a port, got " + httpPort);
            }
        }

        /** The defaults, spooling under {@code data/spool/<collectorId>}. */
        public static Operations defaults(String collectorId) {
            return new Operations(8, 5000, java.nio.file.Path.of("data", "spool", collectorId == null ? "collector" : collectorId),
                    256L << 20, null, 15_000, null, -1);
        }

        public Operations withSpool(java.nio.file.Path dir, long maxBytes) {
            return new Operations(workers, connectTimeoutMillis, dir, maxBytes, fleetGroup, fleetSessionTimeoutMillis, secretKeys, httpPort);
        }

        public Operations withWorkers(int count) {
            return new Operations(count, connectTimeoutMillis, spoolDir, spoolMaxBytes, fleetGroup, fleetSessionTimeoutMillis, secretKeys, httpPort);
        }

        public Operations withFleet(String group, long sessionTimeoutMillis, String keys) {
            return new Operations(workers, connectTimeoutMillis, spoolDir, spoolMaxBytes, group, sessionTimeoutMillis, keys, httpPort);
        }

        public Operations withHttpPort(int port) {
            return new Operations(workers, connectTimeoutMillis, spoolDir, spoolMaxBytes, fleetGroup, fleetSessionTimeoutMillis, secretKeys, port);
        }

        @Override
        public String toString() {
            return "Operations[workers=" + workers + ", connectTimeoutMillis=" + connectTimeoutMillis + ", spoolDir=" + spoolDir
                    + ", spoolMaxBytes=" + spoolMaxBytes + ", fleetGroup=" + fleetGroup + ", fleetSessionTimeoutMillis="
                    + fleetSessionTimeoutMillis + ", secretKeys=" + (secretKeys == null ? "none" : "***") + ", httpPort=" + httpPort + "]";
        }
    }

    /** The family that user-defined SQL metrics are produced to. */
    public static final String CUSTOM_FAMILY = "custom";

    /** One configuration key: its name (with {@code N} and {@code <family>} placeholders), default and meaning. */
    public record Key(String name, String defaultValue, String doc) {
    }

    /** Every key the collector reads, in the order docs/configuration.md lists them. */
    public static final List<Key> KEYS = List.of(
            new Key(ID, "required", "this collector's name; the first half of every record key; no `/`"),
            new Key(BOOTSTRAP_SERVERS, "required", "Kafka, `host:port[,host:port]`"),
            new Key(SCHEMA_REGISTRY_URL, "required", "the Confluent-compatible registry"),
            new Key(INTERVAL_MS, "10000", "the base interval (at least 1000); a preset reads each family every 1, 3, 6 or 30 base intervals"),
            new Key(HEARTBEAT_INTERVAL_MS, "10000", "how often a heartbeat goes to `pga.fleet.heartbeats`"),
            new Key(PRESET, "standard", "`minimal`, `standard` or `exhaustive`: which families are read and how often (see docs/collector.md)"),
            new Key("collector.families.<family>.interval.ms", "the preset's", "read `<family>` every so many ms on every target; `0` turns it off"),
            new Key(STATEMENT_TIMEOUT_MS, "5000", "`statement_timeout` of every collector query; the client gives up 2 s later"),
            new Key(TABLES_TOP, "200", "tables and indexes read per database: the largest N (plus the 20 oldest by XID age)"),
            new Key(DATABASES_MAX, "20", "databases the per-database families read per target, when a target lists none"),
            new Key(QUERY_TEXT_MODE, "normalized", "`normalized`: send each queryid's normalized text once; `none`: send no text"),
            new Key(QUERY_TEXT_MAX_LENGTH, "4096", "query texts are cut to this many characters"),
            new Key(WORKERS, "8", "threads that run target cycles: bounds the queries in flight, not the number of targets"),
            new Key(CONNECT_TIMEOUT_MS, "5000", "connect and login timeout of a target connection"),
            new Key(SPOOL_DIR, "`data/spool/<collector.id>`", "where samples wait on disk while Kafka is slow or unreachable"),
            new Key(SPOOL_MAX_BYTES, "268435456", "the spool's size; when full, the oldest samples are dropped and counted per family"),
            new Key(FLEET_GROUP, "none", "share the targets of `pga.fleet.targets` with the other collectors of this fleet (a Kafka consumer group); none: only `collector.targets[N]`"),
            new Key(FLEET_SESSION_TIMEOUT_MS, "15000", "how long a collector that died keeps its fleet targets before the others take them over"),
            new Key(SECRET_KEYS, "none", "`keyId:base64Key[,...]`: AES-256 keys that decrypt fleet targets' passwords; never logged"),
            new Key(HTTP_PORT, "-1", "port of `/metrics` (Prometheus) and `/health`; `-1` off, `0` any free port"),
            new Key("collector.targets[N].id", "required", "the target's stable name; the second half of the record key; no `/`; unique"),
            new Key("collector.targets[N].url", "required", "`jdbc:postgresql://host:port/database`"),
            new Key("collector.targets[N].user", "none", "a role with `pg_monitor` is enough (see docs/collector.md)"),
            new Key("collector.targets[N].password", "none", "never logged"),
            new Key("collector.targets[N].preset", "`collector.preset`", "this target's preset"),
            new Key("collector.targets[N].databases", "every database", "comma-separated databases for `tables` and `indexes`"),
            new Key("collector.targets[N].families.<family>.interval.ms", "as above", "this target's interval for `<family>`; `0` turns it off"),
            new Key("collector.custom[N].name", "required", "a custom SQL metric's name: lower case, digits and `_`"),
            new Key("collector.custom[N].sql", "required", "one `SELECT`, run on each target's own database"),
            new Key("collector.custom[N].labels", "none", "comma-separated columns that identify a row"),
            new Key("collector.custom[N].counters", "none", "comma-separated cumulative numeric columns"),
            new Key("collector.custom[N].gauges", "none", "comma-separated instantaneous numeric columns"),
            new Key("collector.custom[N].interval.ms", "`collector.interval.ms`", "how often it runs"),
            new Key("collector.custom[N].min.server.version", "0", "`server_version_num` below which it is skipped"));

    private static final List<String> SCALAR_KEYS = List.of(ID, BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL, INTERVAL_MS,
            HEARTBEAT_INTERVAL_MS, PRESET, STATEMENT_TIMEOUT_MS, TABLES_TOP, DATABASES_MAX, QUERY_TEXT_MODE, QUERY_TEXT_MAX_LENGTH,
            WORKERS, CONNECT_TIMEOUT_MS, SPOOL_DIR, SPOOL_MAX_BYTES, FLEET_GROUP, FLEET_SESSION_TIMEOUT_MS, SECRET_KEYS, HTTP_PORT);
    private static final Pattern TARGET_KEY = Pattern.compile(
            "collector\\.targets\\[(\\d+)]\\.(id|url|user|password|preset|databases|families\\.([a-z_]+)\\.interval\\.ms)");
    private static final Pattern FAMILY_KEY = Pattern.compile("collector\\.families\\.([a-z_]+)\\.interval\\.ms");
    private static final Pattern CUSTOM_KEY = Pattern.compile(
            "collector\\.custom\\[(\\d+)]\\.(name|sql|labels|counters|gauges|interval\\.ms|min\\.server\\.version)");
    private static final Pattern TARGET_ENV = Pattern.compile("PGA_COLLECTOR_TARGETS_(\\d+)_(ID|URL|USER|PASSWORD|PRESET|DATABASES)");
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");

    public CollectorConfig {
        require(collectorId, ID);
        if (collectorId.contains("/")) {
            throw new IllegalArgumentException(ID + ": must not contain '/', it separates collector and target in record keys");
        }
        require(bootstrapServers, BOOTSTRAP_SERVERS);
        require(schemaRegistryUrl, SCHEMA_REGISTRY_URL);
        if (intervalMillis < 1000) {
            throw new IllegalArgumentException(INTERVAL_MS + ": must be at least 1000, got " + intervalMillis);
        }
        if (heartbeatIntervalMillis < 1000) {
            throw new IllegalArgumentException(HEARTBEAT_INTERVAL_MS + ": must be at least 1000, got " + heartbeatIntervalMillis);
        }
        if (statementTimeoutMillis < 100) {
            throw new IllegalArgumentException(STATEMENT_TIMEOUT_MS + ": must be at least 100, got " + statementTimeoutMillis);
        }
        if (tablesTop < 1) {
            throw new IllegalArgumentException(TABLES_TOP + ": must be at least 1, got " + tablesTop);
        }
        if (databasesMax < 1) {
            throw new IllegalArgumentException(DATABASES_MAX + ": must be at least 1, got " + databasesMax);
        }
        if (queryTextMaxLength < 16) {
            throw new IllegalArgumentException(QUERY_TEXT_MAX_LENGTH + ": must be at least 16, got " + queryTextMaxLength);
        }
        familyIntervalMillis = Map.copyOf(familyIntervalMillis);
        familyIntervalMillis.forEach((family, millis) -> requireFamily(family, millis, "collector.families." + family + ".interval.ms"));
        targets = List.copyOf(targets);
        var ids = new TreeSet<String>();
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            String prefix = "collector.targets[" + i + "].";
            if (target.id().isBlank() || target.id().contains("/")) {
                throw new IllegalArgumentException(prefix + "id: required, without '/'");
            }
            if (!target.jdbcUrl().startsWith("jdbc:postgresql://")) {
                throw new IllegalArgumentException(prefix + "url: expected jdbc:postgresql://host:port/db, got '" + target.jdbcUrl() + "'");
            }
            if (!ids.add(target.id())) {
                throw new IllegalArgumentException(prefix + "id: '" + target.id() + "' is used by another target");
            }
            target.intervalMillis().forEach((family, millis) ->
                    requireFamily(family, millis, prefix + "families." + family + ".interval.ms"));
        }
        java.util.Objects.requireNonNull(operations, "operations");
        customMetrics = List.copyOf(customMetrics);
        var names = new TreeSet<String>();
        for (int i = 0; i < customMetrics.size(); i++) {
            CustomMetric metric = customMetrics.get(i);
            String prefix = "collector.custom[" + i + "].";
            if (!NAME.matcher(metric.name()).matches()) {
                throw new IllegalArgumentException(prefix + "name: expected lower case letters, digits and _, got '" + metric.name() + "'");
            }
            if (!names.add(metric.name())) {
                throw new IllegalArgumentException(prefix + "name: '" + metric.name() + "' is used by another custom metric");
            }
            if (metric.sql().isBlank()) {
                throw new IllegalArgumentException(prefix + "sql: required");
            }
            if (metric.counters().isEmpty() && metric.gauges().isEmpty()) {
                throw new IllegalArgumentException(prefix + "counters: a custom metric needs at least one counter or gauge column");
            }
            var columns = new TreeSet<String>();
            for (String column : concat(metric.labels(), metric.counters(), metric.gauges())) {
                if (!columns.add(column)) {
                    throw new IllegalArgumentException(prefix + "labels: column '" + column + "' is declared twice");
                }
            }
            if (metric.intervalMillis() != 0 && metric.intervalMillis() < 1000) {
                throw new IllegalArgumentException(prefix + "interval.ms: must be at least 1000, got " + metric.intervalMillis());
            }
        }
    }

    /** A configuration with the standard preset and every other setting at its default. */
    public CollectorConfig(String collectorId, String bootstrapServers, String schemaRegistryUrl,
                           long intervalMillis, long heartbeatIntervalMillis, List<Target> targets) {
        this(collectorId, bootstrapServers, schemaRegistryUrl, intervalMillis, heartbeatIntervalMillis, targets,
                Preset.STANDARD, Map.of(), 5000, 200, 20, QueryTextMode.NORMALIZED, 4096, List.of(),
                Operations.defaults(collectorId));
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
        Map<String, String> values = new HashMap<>();
        file.stringPropertyNames().forEach(key -> values.put(key, file.getProperty(key).trim()));
        for (String key : SCALAR_KEYS) {
            String override = env.get(envName(key));
            if (override != null) {
                values.put(key, override.trim());
            }
        }
        for (MetricFamily family : MetricFamilies.all()) {
            String key = "collector.families." + family.name() + ".interval.ms";
            String override = env.get(envName(key));
            if (override != null) {
                values.put(key, override.trim());
            }
        }
        env.forEach((name, value) -> {
            Matcher m = TARGET_ENV.matcher(name);
            if (m.matches()) {
                values.put("collector.targets[" + m.group(1) + "]." + m.group(2).toLowerCase(), value.trim());
            }
        });
        var targetIndexes = new TreeSet<Integer>();
        var customIndexes = new TreeSet<Integer>();
        Map<String, Long> familyIntervals = new TreeMap<>();
        for (String key : values.keySet()) {
            Matcher target = TARGET_KEY.matcher(key);
            Matcher custom = CUSTOM_KEY.matcher(key);
            Matcher family = FAMILY_KEY.matcher(key);
            if (target.matches()) {
                targetIndexes.add(Integer.parseInt(target.group(1)));
            } else if (custom.matches()) {
                customIndexes.add(Integer.parseInt(custom.group(1)));
            } else if (family.matches()) {
                familyIntervals.put(family.group(1), number(values, key, 0));
            } else if (key.startsWith("collector.") && !SCALAR_KEYS.contains(key)) {
                throw new IllegalArgumentException(key + ": unknown key");
            }
        }
        List<Target> targets = new ArrayList<>();
        for (int index : contiguous(targetIndexes, "collector.targets")) {
            String prefix = "collector.targets[" + index + "].";
            Map<String, Long> intervals = new TreeMap<>();
            for (String key : values.keySet()) {
                Matcher m = TARGET_KEY.matcher(key);
                if (m.matches() && Integer.parseInt(m.group(1)) == index && m.group(3) != null) {
                    intervals.put(m.group(3), number(values, key, 0));
                }
            }
            String preset = values.get(prefix + "preset");
            targets.add(new Target(values.getOrDefault(prefix + "id", ""), values.getOrDefault(prefix + "url", ""),
                    values.get(prefix + "user"), values.get(prefix + "password"),
                    preset == null || preset.isEmpty() ? null : Preset.parse(prefix + "preset", preset),
                    intervals, list(values.get(prefix + "databases"))));
        }
        List<CustomMetric> customs = new ArrayList<>();
        for (int index : contiguous(customIndexes, "collector.custom")) {
            String prefix = "collector.custom[" + index + "].";
            customs.add(new CustomMetric(values.getOrDefault(prefix + "name", ""), values.getOrDefault(prefix + "sql", ""),
                    number(values, prefix + "interval.ms", 0), list(values.get(prefix + "labels")),
                    list(values.get(prefix + "counters")), list(values.get(prefix + "gauges")),
                    (int) number(values, prefix + "min.server.version", 0)));
        }
        String preset = values.get(PRESET);
        String textMode = values.get(QUERY_TEXT_MODE);
        return new CollectorConfig(values.get(ID), values.get(BOOTSTRAP_SERVERS), values.get(SCHEMA_REGISTRY_URL),
                number(values, INTERVAL_MS, 10_000), number(values, HEARTBEAT_INTERVAL_MS, 10_000), targets,
                preset == null || preset.isEmpty() ? Preset.STANDARD : Preset.parse(PRESET, preset),
                familyIntervals, number(values, STATEMENT_TIMEOUT_MS, 5000), (int) number(values, TABLES_TOP, 200),
                (int) number(values, DATABASES_MAX, 20),
                textMode == null || textMode.isEmpty() ? QueryTextMode.NORMALIZED : QueryTextMode.parse(QUERY_TEXT_MODE, textMode),
                (int) number(values, QUERY_TEXT_MAX_LENGTH, 4096), customs, operations(values));
    }

    private static Operations operations(Map<String, String> values) {
        Operations defaults = Operations.defaults(values.get(ID));
        String spoolDir = values.get(SPOOL_DIR);
        String group = values.get(FLEET_GROUP);
        String keys = values.get(SECRET_KEYS);
        return new Operations((int) number(values, WORKERS, defaults.workers()),
                number(values, CONNECT_TIMEOUT_MS, defaults.connectTimeoutMillis()),
                spoolDir == null || spoolDir.isEmpty() ? defaults.spoolDir() : java.nio.file.Path.of(spoolDir),
                number(values, SPOOL_MAX_BYTES, defaults.spoolMaxBytes()),
                group == null || group.isEmpty() ? null : group,
                number(values, FLEET_SESSION_TIMEOUT_MS, defaults.fleetSessionTimeoutMillis()),
                keys == null || keys.isEmpty() ? null : keys,
                (int) number(values, HTTP_PORT, defaults.httpPort()));
    }

    /** The environment variable that overrides a key. */
    public static String envName(String key) {
        return "PGA_" + key.toUpperCase().replaceAll("[^A-Z0-9]+", "_").replaceAll("_$", "");
    }

    private static void requireFamily(String family, long millis, String key) {
        if (MetricFamilies.byName(family).isEmpty() || family.equals(CUSTOM_FAMILY)) {
            throw new IllegalArgumentException(key + ": unknown family '" + family + "'");
        }
        if (millis != 0 && millis < 1000) {
            throw new IllegalArgumentException(key + ": must be 0 (off) or at least 1000, got " + millis);
        }
    }

    private static List<Integer> contiguous(TreeSet<Integer> indexes, String prefix) {
        int expected = 0;
        for (int index : indexes) {
            if (index != expected++) {
                throw new IllegalArgumentException(prefix + "[" + index + "]: indexes must count up from 0 without gaps");
            }
        }
        return List.copyOf(indexes);
    }

    private static List<String> list(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        List<String> all = new ArrayList<>();
        for (List<String> list : lists) {
            all.addAll(list);
        }
        return all;
    }

    private static long number(Map<String, String> values, String key, long defaultValue) {
        String value = values.get(key);
        if (value == null || value.isEmpty()) {
            return defaultValue;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": expected a whole number, got '" + value + "'");
        }
    }

    private static void require(String value, String key) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + ": required");
        }
    }
}
