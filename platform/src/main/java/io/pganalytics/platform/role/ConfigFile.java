package io.pganalytics.platform.role;

import io.pganalytics.config.Fields;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.config.Values;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;

/**
 * A role's configuration as its {@link Fields} read it: a properties file (optional), then each key's environment
 * variable, so that secrets and per-host values need not live in the file. A problem, a missing file or a bad key,
 * is an {@link InvalidValue}, which the command line reports as one line with exit code 2.
 */
final class ConfigFile {

    private ConfigFile() {
    }

    /** Reads {@code file} (optional) and the environment against {@code fields}; {@code build} makes the role's configuration. */
    static <T> T load(Path file, Fields fields, Function<Values, T> build) {
        return build.apply(fields.read(properties(file), System.getenv()));
    }

    /** The properties of {@code file}, or none when it is null. */
    static Map<String, String> properties(Path file) {
        Map<String, String> values = new LinkedHashMap<>();
        if (file == null) {
            return values;
        }
        if (!Files.isRegularFile(file)) {
            throw new InvalidValue("--config", "no such file " + file);
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidValue("--config", "cannot read " + file + " (" + e.getMessage() + ")", e);
        }
        properties.stringPropertyNames().forEach(key -> values.put(key, properties.getProperty(key).strip()));
        return values;
    }
}
