package io.pganalytics.schemas.serde;

import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.config.Values;
import io.pganalytics.schemas.registry.SchemaRegistryClient;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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

    /** {@code basic.auth.credentials.source}. */
    public enum CredentialsSource { USER_INFO, URL }

    /** Every key, declared once with its default, rule and documentation, in the order the module README lists them. */
    public static final class Keys {

        private Keys() {
        }

        public static final Field<List<String>> SCHEMA_REGISTRY_URL = Field.list(AvroSerdeConfig.SCHEMA_REGISTRY_URL)
                .withDoc("Comma-separated registry URLs, tried in turn; `mock://<scope>` for an in-memory registry in tests");
        public static final Field<Boolean> AUTO_REGISTER_SCHEMAS = Field.bool(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS)
                .withDefault(true).withDoc("Register the record's schema under its subject on first use");
        public static final Field<Boolean> USE_LATEST_VERSION = Field.bool(AvroSerdeConfig.USE_LATEST_VERSION)
                .withDefault(false).withDoc("Write with the subject's latest registered schema instead of the record's "
                        + "own (use with auto.register.schemas=false)");
        public static final Field<Boolean> LATEST_COMPATIBILITY_STRICT = Field.bool(
                        AvroSerdeConfig.LATEST_COMPATIBILITY_STRICT).withDefault(true)
                .withDoc("With use.latest.version: refuse a record whose schema the latest version cannot read");
        public static final Field<Long> LATEST_CACHE_TTL_SEC = Field.longValue(AvroSerdeConfig.LATEST_CACHE_TTL_SEC)
                .withDefault(-1L).withDoc("Seconds the latest version of a subject is cached; -1 caches it for the "
                        + "life of the serializer");
        public static final Field<Boolean> SPECIFIC_AVRO_READER = Field.bool(AvroSerdeConfig.SPECIFIC_AVRO_READER)
                .withDefault(false).withDoc("Deserialize into the generated class (SpecificRecord) instead of GenericRecord");
        public static final Field<CredentialsSource> BASIC_AUTH_CREDENTIALS_SOURCE = Field.of(
                        AvroSerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO or URL",
                        text -> CredentialsSource.valueOf(text.toUpperCase(Locale.ROOT)), Enum::name)
                .withDefault(CredentialsSource.URL)
                .withDoc("USER_INFO (take basic.auth.user.info) or URL (take user:password@ from the URL)");
        public static final Field<String> BASIC_AUTH_USER_INFO = Field.string(AvroSerdeConfig.BASIC_AUTH_USER_INFO)
                .withDefault("").secret().withDoc("user:password for HTTP basic auth when the source is USER_INFO");
        public static final Field<SubjectNameStrategy> KEY_SUBJECT_NAME_STRATEGY =
                strategy(AvroSerdeConfig.KEY_SUBJECT_NAME_STRATEGY).withDoc("Subject of keys: TopicNameStrategy, "
                        + "RecordNameStrategy, TopicRecordNameStrategy, or Confluent's class name");
        public static final Field<SubjectNameStrategy> VALUE_SUBJECT_NAME_STRATEGY =
                strategy(AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY).withDoc("Subject of values: as key.subject.name.strategy");

        private static Field<SubjectNameStrategy> strategy(String name) {
            return Field.of(name, "TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy (or Confluent's "
                            + "class name, e.g. " + SubjectNameStrategy.TOPIC_NAME.confluentClassName() + ")",
                    SubjectNameStrategy::named, SubjectNameStrategy::shortName).withDefault(SubjectNameStrategy.TOPIC_NAME);
        }
    }

    /**
     * Every key this configuration reads; the other keys of a Kafka client (or Streams, or Connect converter)
     * configuration are the client's, let through.
     */
    public static final Fields FIELDS = Fields.of("", Keys.SCHEMA_REGISTRY_URL, Keys.AUTO_REGISTER_SCHEMAS,
            Keys.USE_LATEST_VERSION, Keys.LATEST_COMPATIBILITY_STRICT, Keys.LATEST_CACHE_TTL_SEC,
            Keys.SPECIFIC_AVRO_READER, Keys.BASIC_AUTH_CREDENTIALS_SOURCE, Keys.BASIC_AUTH_USER_INFO,
            Keys.KEY_SUBJECT_NAME_STRATEGY, Keys.VALUE_SUBJECT_NAME_STRATEGY).allowing("");

    /**
     * Reads and validates the serde keys from a Kafka client configuration; other keys are ignored. Kafka's
     * error type for a configuration is {@link ConfigException}: it carries the {@link InvalidValue}'s message, every
     * bad key in it.
     */
    public static AvroSerdeConfig from(Map<String, ?> configs) {
        Map<String, String> texts = new LinkedHashMap<>();
        configs.forEach((key, value) -> {
            if (value != null && FIELDS.fieldOf(key).isPresent()) {
                texts.put(key, value instanceof Class<?> type ? type.getName() : value.toString());
            }
        });
        try {
            Values values = FIELDS.read(texts);
            String userInfo = null;
            if (values.get(Keys.BASIC_AUTH_CREDENTIALS_SOURCE) == CredentialsSource.USER_INFO) {
                userInfo = values.get(Keys.BASIC_AUTH_USER_INFO);
                if (!userInfo.contains(":")) {
                    values.reject(BASIC_AUTH_USER_INFO, "expected user:password");
                }
            }
            values.validate();
            return new AvroSerdeConfig(values.get(Keys.SCHEMA_REGISTRY_URL), values.get(Keys.AUTO_REGISTER_SCHEMAS),
                    values.get(Keys.USE_LATEST_VERSION), values.get(Keys.LATEST_COMPATIBILITY_STRICT),
                    values.get(Keys.LATEST_CACHE_TTL_SEC), values.get(Keys.SPECIFIC_AVRO_READER), userInfo,
                    values.get(Keys.KEY_SUBJECT_NAME_STRATEGY), values.get(Keys.VALUE_SUBJECT_NAME_STRATEGY));
        } catch (InvalidValue e) {
            ConfigException refused = new ConfigException(e.getMessage());
            refused.initCause(e);
            throw refused;
        }
    }

    /** A registry client for this configuration. */
    public SchemaRegistryClient newClient() {
        return SchemaRegistryClient.forUrls(registryUrls, basicAuthUserInfo);
    }

    /** The strategy naming the subjects of keys or of values. */
    public SubjectNameStrategy subjectNameStrategy(boolean isKey) {
        return isKey ? keySubjectNameStrategy : valueSubjectNameStrategy;
    }
}
