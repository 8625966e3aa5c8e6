package io.pganalytics.schemas;

import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * How one topic of the contract is created: its name, partitions, and whether it is compacted.
 *
 * @param name        the topic name
 * @param partitions  default partition count; per-target ordering holds because keys pin a target
 *                    to one partition
 * @param compacted   whether only the latest value per key is kept
 * @param description one line for docs/topics.md
 */
public record TopicSpec(String name, int partitions, boolean compacted, String description) {

    /** Default partitions of a data topic: enough to spread a few collectors, cheap on one broker. */
    public static final int DEFAULT_PARTITIONS = 6;

    /**
     * Partitions of {@code pga.fleet.targets}: the unit collectors of a fleet share, so it bounds how
     * many collectors can take a share (12 splits evenly over 1, 2, 3, 4 or 6 collectors).
     */
    public static final int FLEET_TARGETS_PARTITIONS = 12;

    /** A topic that keeps every record for its retention, {@link #DEFAULT_PARTITIONS} partitions. */
    public static TopicSpec stream(String name, String description) {
        return new TopicSpec(name, DEFAULT_PARTITIONS, false, description);
    }

    /**
     * A topic that keeps every record, in one partition: one total order, which the audit chain needs (its single
     * writer numbers the events in the order they were committed).
     */
    public static TopicSpec single(String name, String description) {
        return new TopicSpec(name, 1, false, description);
    }

    /** A topic that keeps the latest value per key, {@link #DEFAULT_PARTITIONS} partitions. */
    public static TopicSpec compacted(String name, String description) {
        return new TopicSpec(name, DEFAULT_PARTITIONS, true, description);
    }

    /** A topic that keeps the latest value per key, with {@code partitions} partitions. */
    public static TopicSpec compacted(String name, int partitions, String description) {
        return new TopicSpec(name, partitions, true, description);
    }

    /** Topic-level configuration to create the topic with. */
    public Map<String, String> configs() {
        return compacted ? Map.of("cleanup.policy", "compact") : Map.of("cleanup.policy", "delete");
    }

    /** The topic to create, with {@code partitions} partitions (the contract's own: {@link #partitions()}) and its configuration. */
    public NewTopic newTopic(int partitions, short replicationFactor) {
        return new NewTopic(name, partitions, replicationFactor).configs(configs());
    }
}
