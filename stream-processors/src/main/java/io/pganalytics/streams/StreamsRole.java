package io.pganalytics.streams;

import io.pganalytics.config.Check;
import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.config.Values;
import io.pganalytics.streams.alert.AlertsStreamsRole;
import io.pganalytics.streams.audit.AuditChainStreamsRole;
import io.pganalytics.streams.fleet.FleetStreamsRole;
import io.pganalytics.streams.ingest.IngestConfig;
import io.pganalytics.streams.ingest.IngestStreamsRole;
import io.pganalytics.streams.ingest.IngestTopology;
import io.pganalytics.streams.rollup.RollupsStreamsRole;
import io.pganalytics.streams.runtime.RunningTopologies;
import io.pganalytics.streams.runtime.StreamsSettings;
import io.pganalytics.streams.runtime.TopologyRole;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The stream-processing role, {@code pganalytics streams}: the settings its applications share and the
 * ingest topology's, read from {@link #FIELDS}, and its five applications ({@link #applications}), started
 * and stopped together by {@link #start(RollupsStreamsRole)}. Each application is a {@link TopologyRole}
 * of its own package; this package assembles them and nothing in them depends on it.
 *
 * @param bootstrapServers  Kafka
 * @param schemaRegistryUrl the registry of the Avro serde
 * @param stateDir          where Kafka Streams keeps local state (kept across restarts)
 * @param replicationFactor of the internal topics: 1 on a single embedded broker, 3 in production
 * @param ingest            checks, quotas and series of the ingest topology ({@code ingest.*} keys)
 */
public record StreamsRole(String bootstrapServers, String schemaRegistryUrl, Path stateDir, int replicationFactor,
        IngestConfig ingest) {

    public static final String BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String STATE_DIR = "streams.state.dir";
    public static final String REPLICATION_FACTOR = "streams.replication.factor";

    /** The role's own keys, declared once; {@link #FIELDS} adds the ingest topology's and the rollups'. */
    public static final class Keys {
        public static final Field<String> BOOTSTRAP_SERVERS = Field.string(StreamsRole.BOOTSTRAP_SERVERS)
                .withDoc("Kafka, `host:port[,host:port]`");
        public static final Field<String> SCHEMA_REGISTRY_URL = Field.string(StreamsRole.SCHEMA_REGISTRY_URL)
                .withDoc("the Confluent-compatible registry");
        public static final Field<Path> STATE_DIR = Field.path(StreamsRole.STATE_DIR)
                .withDefault(Path.of(System.getProperty("java.io.tmpdir"), "pganalytics-streams"))
                .withDefaultDescribed("`<tmp>/pganalytics-streams`")
                .withDoc("local state; keep it across restarts to avoid restoring it");
        public static final Field<Integer> REPLICATION_FACTOR = Field.integer(StreamsRole.REPLICATION_FACTOR)
                .withDefault(3).withCheck(Check.atLeast(1))
                .withDoc("replication factor of the internal topics");

        private Keys() {
        }
    }

    /**
     * Every key of {@code pganalytics streams}, in the order docs/configuration.md lists them: the shared ones,
     * the rollups' grace, the ingest topology's; each overridden by {@code PGA_<KEY>}.
     */
    public static final Fields FIELDS = Fields.of("PGA_", Keys.BOOTSTRAP_SERVERS, Keys.SCHEMA_REGISTRY_URL,
            Keys.STATE_DIR, Keys.REPLICATION_FACTOR).and(RollupsStreamsRole.FIELDS).and(IngestConfig.FIELDS);

    /** The role with the default {@link IngestConfig}. */
    public StreamsRole(String bootstrapServers, String schemaRegistryUrl, Path stateDir, int replicationFactor) {
        this(bootstrapServers, schemaRegistryUrl, stateDir, replicationFactor, IngestConfig.defaults());
    }

    /** Values given in code follow the rules of values read from a file. */
    public StreamsRole {
        List<InvalidValue.Problem> problems = new ArrayList<>();
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            problems.add(new InvalidValue.Problem(BOOTSTRAP_SERVERS, "required, e.g. kafka-1:9092"));
        }
        if (schemaRegistryUrl == null || schemaRegistryUrl.isBlank()) {
            problems.add(new InvalidValue.Problem(SCHEMA_REGISTRY_URL, "required, e.g. http://registry:8081"));
        }
        Keys.REPLICATION_FACTOR.problemWith(replicationFactor).ifPresent(problems::add);
        if (ingest == null) {
            problems.add(new InvalidValue.Problem("ingest", "required, e.g. IngestConfig.defaults()"));
        }
        InvalidValue.throwIfAny(problems);
    }

    /** The role from string properties named as in {@link #FIELDS}; unknown keys are refused, naming the key. */
    public static StreamsRole fromProperties(Map<String, String> properties) {
        return from(FIELDS.read(properties));
    }

    /** The role {@code values} (read against {@link #FIELDS}) describe; every bad value in one {@link InvalidValue}. */
    public static StreamsRole from(Values values) {
        String bootstrapServers = values.get(Keys.BOOTSTRAP_SERVERS);
        String schemaRegistryUrl = values.get(Keys.SCHEMA_REGISTRY_URL);
        Path stateDir = values.get(Keys.STATE_DIR);
        int replicationFactor = values.get(Keys.REPLICATION_FACTOR);
        IngestConfig ingest = IngestConfig.from(values);
        return new StreamsRole(bootstrapServers, schemaRegistryUrl, stateDir, replicationFactor, ingest);
    }

    /** What this role's applications share: Kafka, the registry, the state directory, replication. */
    public StreamsSettings settings() {
        return new StreamsSettings(bootstrapServers, schemaRegistryUrl, stateDir, replicationFactor);
    }

    /** The Kafka Streams configuration for the ingest topology. */
    public Properties properties() {
        return properties(IngestTopology.APPLICATION_ID);
    }

    /** The Kafka Streams configuration this role runs a topology with under {@code applicationId}. */
    public Properties properties(String applicationId) {
        return settings().properties(applicationId);
    }

    /**
     * The applications of {@code pganalytics streams}, in the order they start: ingest (with this role's
     * {@link #ingest()}), fleet liveness, {@code rollups} (its grace is a key of its own,
     * {@link RollupsStreamsRole#GRACE}), alerts and the audit chain.
     */
    public List<TopologyRole> applications(RollupsStreamsRole rollups) {
        return List.of(new IngestStreamsRole(ingest), new FleetStreamsRole(), rollups, new AlertsStreamsRole(), new AuditChainStreamsRole());
    }

    /**
     * Starts every application of {@link #applications} with this role's settings; closing the result
     * stops them, newest first, each leaving its consumer group.
     */
    public RunningTopologies start(RollupsStreamsRole rollups) {
        return settings().startAll(applications(rollups));
    }
}
