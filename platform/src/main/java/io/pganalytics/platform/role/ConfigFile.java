package io.pganalytics.platform.role;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;

/**
 * A role's configuration as strings: a properties file, then environment variables for the keys the
 * role declares ({@code <prefix><KEY>} with the key upper-cased and every other character run turned
 * into {@code _}), so that secrets and per-host values need not live in the file.
 */
final class ConfigFile {

    private ConfigFile() {
    }

    /** Reads {@code file} (optional), then overrides any of {@code keys} set in {@code env}. */
    private static Map<String, String> read(Path file, Collection<String> keys, String envPrefix, Map<String, String> env)
            throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new IOException("--config: no such file " + file);
            }
            Properties properties = new Properties();
            try (Reader reader = Files.newBufferedReader(file)) {
                properties.load(reader);
            }
            properties.stringPropertyNames().forEach(key -> values.put(key, properties.getProperty(key).strip()));
        }
        for (String key : keys) {
            String override = env.get(envName(envPrefix, key));
            if (override != null) {
                values.put(key, override.strip());
            }
        }
        return values;
    }

    /**
     * Reads the configuration like {@link #read} and turns it into the role's typed configuration with
     * {@code parse}; any problem, a missing file or a bad key, becomes one {@link InvalidConfiguration}.
     */
    static <T> T load(Path file, Collection<String> keys, String envPrefix, Function<Map<String, String>, T> parse) {
        try {
            return parse.apply(read(file, keys, envPrefix, System.getenv()));
        } catch (IllegalArgumentException | IOException e) {
            throw new InvalidConfiguration(e.getMessage(), e);
        }
    }

    /** The environment variable that overrides {@code key}, e.g. {@code PGA_REGISTRY_KAFKASTORE_TOPIC}. */
    static String envName(String envPrefix, String key) {
        return envPrefix + key.toUpperCase().replaceAll("[^A-Z0-9]+", "_").replaceAll("_$", "");
    }
}
