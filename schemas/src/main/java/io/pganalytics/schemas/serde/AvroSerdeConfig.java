package io.pganalytics.schemas.serde;

import io.pganalytics.schemas.registry.SchemaRegistryClient;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/**
 * The configuration of the Avro serde and converter, under Confluent's key names so that a user can
 * swap in Confluent's {@code KafkaAvroSerializer} or {@code AvroConverter} by configuration alone.
 *
 * @param registryUrls              {@code schema.registry.url}: comma-separated, required
 * @param autoRegister              {@code auto.register.schemas}: register the record's schema on first use
 * @param useLatestVersion          {@code use.latest.version}: write with the subject's latest schema
 * @param latestCompatibilityStrict {@code latest.compatibility.strict}: with use.latest.version, refuse a
 *                                  record whose schema the latest version cannot read
 * @param latestCacheTtlSeconds     {@code latest.cache.ttl.sec}: how long the latest version is cached; -1 forever
 * @param specificReader            {@code specific.avro.reader}: deserialize to generated classes
 * @param basicAuthUserInfo         {@code basic.auth.user.info}: {@code user:password} when
 *                                  {@code basic.auth.credentials.source=USER_INFO}, else null
 * @param keySubjectNameStrategy    {@code key.subject.name.strategy}
 * @param valueSubjectNameStrategy  {@code value.subject.name.strategy}
 */
public record AvroSerdeConfig(List<String> registryUrls, boolean autoRegister, boolean useLatestVersion,
                              boolean latestCompatibilityStrict, long latestCacheTtlSeconds,
                              boolean specificReader, String basicAuthUserInfo,
                              SubjectNameStrategy keySubjectNameStrategy, SubjectNameStrategy valueSubjectNameStrategy) {

    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    public static final String USE_LATEST_VERSION = "use.latest.version";
    public static final String LATEST_COMPATIBILITY_STRICT = "latest.compatibility.strict";
    public static final String LATEST_CACHE_TTL_SEC = "latest.cache.ttl.sec";
    public static final String SPECIFIC_AVRO_READER = "specific.avro.reader";
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    public static final String KEY_SUBJECT_NAME_STRATEGY = "key.subject.name.strategy";
    public static final String VALUE_SUBJECT_NAME_STRATEGY = "value.subject.name.strategy";

    /** One configuration key: its name, default (as written in a properties file) and meaning. */
    public record Key(String name, String defaultValue, String doc) {
    }

    /** Every key this configuration reads, in the order the module README documents them. */
    public static final List<Key> KEYS = List.of(
            new Key(SCHEMA_REGISTRY_URL, "(required)", "Comma-separated registry URLs, tried in turn; `mock://<scope>` for an in-memory registry in tests"),
            new Key(AUTO_REGISTER_SCHEMAS, "true", "Register the record's schema under its subject on first use"),
            new Key(USE_LATEST_VERSION, "false", "Write with the subject's latest registered schema instead of the record's own (use with auto.register.schemas=false)"),
            new Key(LATEST_COMPATIBILITY_STRICT, "true", "With use.latest.version: refuse a record whose schema the latest version cannot read"),
            new Key(LATEST_CACHE_TTL_SEC, "-1", "Seconds the latest version of a subject is cached; -1 caches it for the life of the serializer"),
            new Key(SPECIFIC_AVRO_READER, "false", "Deserialize into the generated class (SpecificRecord) instead of GenericRecord"),
            new Key(BASIC_AUTH_CREDENTIALS_SOURCE, "URL", "USER_INFO (take basic.auth.user.info) or URL (take user:password@ from the URL)"),
            new Key(BASIC_AUTH_USER_INFO, "", "user:password for HTTP basic auth when the source is USER_INFO"),
            new Key(KEY_SUBJECT_NAME_STRATEGY, "TopicNameStrategy", "Subject of keys: TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy, or Confluent's class name"),
            new Key(VALUE_SUBJECT_NAME_STRATEGY, "TopicNameStrategy", "Subject of values: as key.subject.name.strategy"));

    /** Reads and validates the serde keys from a Kafka client configuration; other keys are ignored. */
    public static AvroSerdeConfig from(Map<String, ?> configs) {
        Object url = configs.get(SCHEMA_REGISTRY_URL);
        if (url == null || url.toString().isBlank()) {
            throw new ConfigException(SCHEMA_REGISTRY_URL + ": required, e.g. http://127.0.0.1:8081");
        }
        List<String> urls = Arrays.stream(url.toString().split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        String source = string(configs, BASIC_AUTH_CREDENTIALS_SOURCE, "");
        String userInfo = null;
        if ("USER_INFO".equalsIgnoreCase(source)) {
            userInfo = string(configs, BASIC_AUTH_USER_INFO, "");
            if (!userInfo.contains(":")) {
                throw new ConfigException(BASIC_AUTH_USER_INFO + ": expected user:password");
            }
        } else if (!source.isEmpty() && !"URL".equalsIgnoreCase(source)) {
            throw new ConfigException(BASIC_AUTH_CREDENTIALS_SOURCE + ": expected USER_INFO or URL, got '" + source + "'");
        }
        return new AvroSerdeConfig(urls,
                bool(configs, AUTO_REGISTER_SCHEMAS, true),
                bool(configs, USE_LATEST_VERSION, false),
                bool(configs, LATEST_COMPATIBILITY_STRICT, true),
                integer(configs, LATEST_CACHE_TTL_SEC, -1),
                bool(configs, SPECIFIC_AVRO_READER, false),
                userInfo,
                SubjectNameStrategy.parse(KEY_SUBJECT_NAME_STRATEGY, configs.get(KEY_SUBJECT_NAME_STRATEGY)),
                SubjectNameStrategy.parse(VALUE_SUBJECT_NAME_STRATEGY, configs.get(VALUE_SUBJECT_NAME_STRATEGY)));
    }

    /** A registry client for this configuration. */
    public SchemaRegistryClient newClient() {
        return SchemaRegistryClient.forUrls(registryUrls, basicAuthUserInfo);
    }

    /** The strategy naming the subjects of keys or of values. */
    public SubjectNameStrategy subjectNameStrategy(boolean isKey) {
        return isKey ? keySubjectNameStrategy : valueSubjectNameStrategy;
    }

    private static boolean bool(Map<String, ?> configs, String key, boolean defaultValue) {
        Object value = configs.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        String text = value.toString().trim();
        if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(text);
        }
        throw new ConfigException(key + ": expected true or false, got '" + value + "'");
    }

    private static long integer(Map<String, ?> configs, String key, long defaultValue) {
        Object value = configs.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Number n) {
            return n.longValue();
        }
        try {
            return Long.parseLong(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key + ": expected a whole number, got '" + value + "'");
        }
    }

    private static String string(Map<String, ?> configs, String key, String defaultValue) {
        Object value = configs.get(key);
        return value == null ? defaultValue : value.toString().trim();
    }
}
