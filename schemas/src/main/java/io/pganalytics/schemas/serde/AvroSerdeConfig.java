package io.pganalytics.schemas.serde;

import io.pganalytics.schemas.registry.SchemaRegistryClient;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/**
 * The configuration of the Avro serde, under Confluent's key names so that a user can swap in
 * Confluent's {@code KafkaAvroSerializer} by configuration alone.
 *
 * @param registryUrls       {@code schema.registry.url}: comma-separated, required
 * @param autoRegister       {@code auto.register.schemas}: register the record's schema on first use (default true)
 * @param useLatestVersion   {@code use.latest.version}: tag records with the subject's latest id (default false)
 * @param specificReader     {@code specific.avro.reader}: deserialize to generated classes (default false)
 * @param basicAuthUserInfo  {@code basic.auth.user.info}: {@code user:password} when
 *                           {@code basic.auth.credentials.source=USER_INFO}, else null
 */
public record AvroSerdeConfig(List<String> registryUrls, boolean autoRegister, boolean useLatestVersion,
                              boolean specificReader, String basicAuthUserInfo) {

    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    public static final String USE_LATEST_VERSION = "use.latest.version";
    public static final String SPECIFIC_AVRO_READER = "specific.avro.reader";
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";

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
                bool(configs, SPECIFIC_AVRO_READER, false),
                userInfo);
    }

    /** A registry client for this configuration. */
    public SchemaRegistryClient newClient() {
        return SchemaRegistryClient.forUrls(registryUrls, basicAuthUserInfo);
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

    private static String string(Map<String, ?> configs, String key, String defaultValue) {
        Object value = configs.get(key);
        return value == null ? defaultValue : value.toString().trim();
    }
}
