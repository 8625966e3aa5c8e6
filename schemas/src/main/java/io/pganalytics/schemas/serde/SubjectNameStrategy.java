package io.pganalytics.schemas.serde;

import java.util.Locale;
import org.apache.avro.Schema;

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

    /** The name configuration uses, e.g. {@code TopicNameStrategy}. */
    public String shortName() {
        return shortName;
    }

    /**
     * The strategy named by Confluent's class name, its short name or this enum's name.
     *
     * @throws IllegalArgumentException when {@code text} names none
     */
    public static SubjectNameStrategy named(String text) {
        for (SubjectNameStrategy strategy : values()) {
            if (text.equals(strategy.confluentClassName()) || text.equals(strategy.shortName)
                    || text.toUpperCase(Locale.ROOT).equals(strategy.name())) {
                return strategy;
            }
        }
        throw new IllegalArgumentException(text);
    }
}
