package io.pganalytics.sink.connect;

import io.pganalytics.config.Field;
import io.pganalytics.config.Fields;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.config.Values;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * A connector's keys as Kafka Connect sees them: the {@link ConfigDef} Connect validates a connector configuration
 * against is made from the connector's {@link Fields}, so that every key is declared once, and the values are read
 * with {@link Values}. Connect's error type is {@link ConfigException}: an {@link InvalidValue} becomes one with the
 * same message.
 */
public final class ConnectFields {

    private ConnectFields() {
    }

    /**
     * One {@link ConfigDef} key per field: a text ({@link Type#PASSWORD} for a secret, so that Connect hides it), its
     * default as a properties file writes it (none: required), a validator that parses and checks the value with
     * the field, and the field's documentation. Keys Connect itself owns ({@code name}, {@code topics}, ...) are not
     * fields and stay Connect's.
     */
    public static ConfigDef configDef(Fields fields) {
        ConfigDef def = new ConfigDef();
        for (Field<?> field : fields.fields()) {
            def.define(field.name(), field.isSecret() ? Type.PASSWORD : Type.STRING, defaultOf(field),
                    validator(field), field.required() ? Importance.HIGH : Importance.MEDIUM, field.documentation());
        }
        return def;
    }

    /**
     * Reads a connector or task configuration against {@code fields} (other keys are Connect's, let through) and
     * builds the typed configuration with {@code build}; any {@link InvalidValue} is thrown as a
     * {@link ConfigException} with its message, every bad key in it.
     */
    public static <T> T read(Fields fields, Map<String, String> props, Function<Values, T> build) {
        try {
            return build.apply(fields.allowing("").read(props));
        } catch (InvalidValue e) {
            ConfigException refused = new ConfigException(e.getMessage());
            refused.initCause(e);
            throw refused;
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> Object defaultOf(Field<T> field) {
        if (field.required()) {
            return ConfigDef.NO_DEFAULT_VALUE;
        }
        T value = field.defaultValue();
        if (value == null) {
            return null;
        }
        String printed = field.print(value);
        return field.isSecret() ? new Password(printed) : printed;
    }

    private static ConfigDef.Validator validator(Field<?> field) {
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                String text = value instanceof Password password ? password.value() : value == null ? null
                        : value.toString();
                if (text == null || text.isBlank()) {
                    if (field.required() && text != null) {
                        throw new ConfigException(name + ": required");
                    }
                    return; // absent; Connect reports a required key missing itself
                }
                try {
                    field.parse(text.strip());
                } catch (InvalidValue e) {
                    throw new ConfigException(e.getMessage());
                }
            }

            @Override
            public String toString() {
                return field.type();
            }
        };
    }
}
