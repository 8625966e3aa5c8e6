package io.pganalytics.schemas.serde;

import java.util.Locale;
import org.apache.avro.Schema;
import org.apache.kafka.common.config.ConfigException;

/**
 * How the serializer names the registry subject of a record, as Confluent's strategies of the same
 * names do; chosen by {@code key.subject.name.strategy} and {@code value.subject.name.strategy}.
 */
public enum SubjectNameStrategy {

    /** {@code <topic>-key} / {@code <topic>-value}: one record type per topic (the default). */
    TOPIC_NAME("TopicNameStrategy") {
        @Override
        public String subject(String topic, boolean isKey, Schema schema) {
            return topic + (isKey ? "-key" : "-value");
        }
    },

    /** The record's full name, whatever the topic: one type may travel on many topics. */
    RECORD_NAME("RecordNameStrategy") {
        @Override
        public String subject(String topic, boolean isKey, Schema schema) {
            return schema.getFullName();
        }
    },

    /** {@code <topic>-<record full name>}: several record types per topic, evolved per topic. */
    TOPIC_RECORD_NAME("TopicRecordNameStrategy") {
        @Override
        public String subject(String topic, boolean isKey, Schema schema) {
            return topic + "-" + schema.getFullName();
        }
    };

    private static final String CONFLUENT_PACKAGE = "io.confluent.kafka.serializers.subject.";

    private final String shortName;

    SubjectNameStrategy(String shortName) {
        this.shortName = shortName;
    }

    /** The subject under which a record with this schema is registered when written to {@code topic}. */
    public abstract String subject(String topic, boolean isKey, Schema schema);

    /** Whether the subject depends on the topic only, so that it can be computed once per topic. */
    boolean topicOnly() {
        return this == TOPIC_NAME;
    }

    /** Confluent's class name, e.g. {@code io.confluent.kafka.serializers.subject.TopicNameStrategy}. */
    public String confluentClassName() {
        return CONFLUENT_PACKAGE + shortName;
    }

    /**
     * Reads a strategy from configuration: Confluent's class name (or a {@code Class} of that name),
     * its short name, or this enum's name; anything else is a {@link ConfigException} naming {@code key}.
     */
    public static SubjectNameStrategy parse(String key, Object value) {
        if (value == null) {
            return TOPIC_NAME;
        }
        String text = (value instanceof Class<?> type ? type.getName() : value.toString()).trim();
        for (SubjectNameStrategy strategy : values()) {
            if (text.equals(strategy.confluentClassName()) || text.equals(strategy.shortName)
                    || text.toUpperCase(Locale.ROOT).equals(strategy.name())) {
                return strategy;
            }
        }
        throw new ConfigException(key + ": expected TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy"
                + " (or Confluent's class name, e.g. " + TOPIC_NAME.confluentClassName() + "), got '" + text + "'");
    }
}
