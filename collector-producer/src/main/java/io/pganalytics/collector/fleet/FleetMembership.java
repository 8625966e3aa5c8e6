package io.pganalytics.collector.fleet;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Target;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.secret.SecretBox;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This collector's share of a fleet's targets: a Kafka consumer in group {@code pga-collectors-<fleetGroup>}
 * over the compacted {@code pga.fleet.targets}, whose assigned partitions decide which targets it monitors.
 *
 * <p>Kafka does the coordination: a collector that joins takes a share of the partitions, one that leaves
 * (or misses heartbeats for {@code collector.fleet.session.timeout.ms}) has its partitions moved to the
 * others. The cooperative sticky assignor moves only the partitions that must move, and revokes them
 * from their owner before anyone else gets them, so no target is monitored twice in steady state.
 *
 * <p>No offsets are committed: the compacted topic is the state, so every newly assigned partition is read
 * from its beginning, and a partition that is revoked or lost takes its targets with it. Records are
 * applied on the consumer's own thread, which is the only thread calling the {@link TargetRegistry}.
 */
public final class FleetMembership implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FleetMembership.class);
    private static final Duration POLL = Duration.ofMillis(500);

    /**
     * Consumer setting that makes {@link #close()} leave the group silently, as a crashed process would:
     * its partitions stay with it until the session times out. For tests of fail-over in one JVM.
     */
    public static final Map<String, Object> DO_NOT_LEAVE_GROUP_ON_CLOSE = Map.of("internal.leave.group.on.close", false);

    private final String group;
    private final String fleetGroup;
    private final SecretBox secrets;
    private final TargetRegistry registry;
    private final KafkaConsumer<String, byte[]> consumer;
    private final AvroDeserializer<FleetTarget> values;
    private final Thread thread;
    private volatile boolean running = true;

    /** Targets per owned partition, as last put to the registry. Touched by the poll thread only. */
    private final Map<TopicPartition, Map<String, Target>> owned = new HashMap<>();
    /** Target id to the last reason it is not monitored, so that each reason is logged once. */
    private final Map<String, String> refused = new HashMap<>();
    /** Newly assigned partitions not read up to their end yet, with that end; for the one-line summary. */
    private final Map<TopicPartition, Long> catchingUp = new HashMap<>();
    private int gainedWhileCatchingUp;
    private final Set<String> current = ConcurrentHashMap.newKeySet();

    private FleetMembership(CollectorConfig config, TargetRegistry registry, Map<String, Object> consumerOverrides) {
        CollectorConfig.Operations operations = config.operations();
        if (operations.fleetGroup() == null) {
            throw new InvalidValue(CollectorConfig.FLEET_GROUP, "required to share fleet targets");
        }
        this.fleetGroup = operations.fleetGroup();
        this.group = "pga-collectors-" + fleetGroup;
        this.secrets = operations.secretKeys() == null ? null : SecretBox.parse(operations.secretKeys());
        this.registry = registry;
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "pga-collector-" + config.collectorId() + "-fleet");
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) operations.fleetSessionTimeoutMillis());
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) (operations.fleetSessionTimeoutMillis() / 3));
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.putAll(consumerOverrides);
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.values = new AvroDeserializer<>();
        values.configure(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, config.schemaRegistryUrl(),
                AvroSerdeConfig.SPECIFIC_AVRO_READER, true), false);
        this.thread = new Thread(this::run, "pga-fleet-membership");
        thread.setDaemon(true);
    }

    /**
     * Joins the fleet of {@code config.operations().fleetGroup()} and hands the targets of the partitions
     * this collector gets to {@code registry}, until {@link #close()}.
     *
     * @param consumerOverrides extra Kafka consumer settings, e.g. {@link #DO_NOT_LEAVE_GROUP_ON_CLOSE} in tests
     * @throws InvalidValue when no fleet group is configured
     * @throws InvalidValue when {@code fleet.secret.keys} is malformed, at the bad entry
     */
    public static FleetMembership start(CollectorConfig config, TargetRegistry registry, Map<String, Object> consumerOverrides) {
        FleetMembership membership = new FleetMembership(config, registry, consumerOverrides);
        membership.consumer.subscribe(List.of(Topics.FLEET_TARGETS), membership.new Listener());
        membership.thread.start();
        LOG.info("joining fleet group {} over {}", membership.group, Topics.FLEET_TARGETS);
        return membership;
    }

    /** The consumer group of this fleet. */
    public String group() {
        return group;
    }

    /** The ids of the targets this collector was handed, as of the last record applied. */
    public Set<String> targetIds() {
        return Set.copyOf(current);
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                    apply(record);
                }
                reportCaughtUp();
            }
        } catch (WakeupException e) {
            // close() asked us to stop
        } catch (RuntimeException e) {
            LOG.error("fleet group {}: membership stopped: {}", group, e.toString());
        } finally {
            // On this thread: the consumer is not thread-safe, and closing it leaves the group, which
            // runs the rebalance listener (the targets are handed back) like any other poll.
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(10)));
            values.close();
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        Map<String, Target> targets = owned.get(partition);
        String id = record.key();
        if (targets == null || id == null) {
            return;
        }
        Target target = null;
        if (record.value() != null) {
            try {
                FleetTarget value = values.deserialize(record.topic(), record.value());
                if (!id.equals(value.getTargetId())) {
                    throw new IllegalArgumentException("targetId '" + value.getTargetId() + "' differs from the record key");
                }
                if (!value.getEnabled()) {
                    refuse(id, "disabled");
                } else if (!FleetTargets.forGroup(value, fleetGroup)) {
                    // Expected in a fleet of several groups sharing the topic: said once, not as a warning.
                    String reason = FleetTargets.otherGroup(value, fleetGroup);
                    if (!reason.equals(refused.put(id, reason))) {
                        LOG.info("fleet target {} is not monitored: {}", id, reason);
                    }
                } else {
                    target = FleetTargets.toTarget(value, secrets, fleetGroup);
                }
            } catch (RuntimeException e) {
                refuse(id, e.getMessage());
            }
        }
        if (target == null) {
            if (targets.remove(id) != null) {
                current.remove(id);
                registry.remove(id);
                LOG.info("fleet target {} removed ({})", id, record.value() == null ? "deleted" : refused.get(id));
            }
            if (record.value() == null) {
                refused.remove(id);
            }
            return;
        }
        refused.remove(id);
        Target previous = targets.put(id, target);
        if (!target.equals(previous)) {
            current.add(id);
            registry.put(target);
            if (catchingUp.containsKey(partition)) {
                gainedWhileCatchingUp++;
            } else {
                LOG.info("fleet target {} {}", id, previous == null ? "added" : "changed");
            }
        }
    }

    private void refuse(String id, String reason) {
        if (!reason.equals(refused.put(id, reason)) && !"disabled".equals(reason)) {
            LOG.warn("fleet target {} is not monitored: {}", id, reason);
        }
    }

    private void reportCaughtUp() {
        if (catchingUp.isEmpty()) {
            return;
        }
        catchingUp.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
        if (catchingUp.isEmpty()) {
            LOG.info("fleet group {}: read the new partitions, {} targets gained; now {} partitions, {} targets",
                    group, gainedWhileCatchingUp, owned.size(), current.size());
            gainedWhileCatchingUp = 0;
        }
    }

    private int drop(Collection<TopicPartition> partitions) {
        int lost = 0;
        for (TopicPartition partition : partitions) {
            Map<String, Target> targets = owned.remove(partition);
            catchingUp.remove(partition);
            if (targets == null) {
                continue;
            }
            for (String id : targets.keySet()) {
                current.remove(id);
                registry.remove(id);
                lost++;
            }
        }
        return lost;
    }

    /** Runs inside poll() on the consumer's thread, so it may use the consumer and the maps freely. */
    private final class Listener implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return; // cooperative rebalances call this with nothing new; not worth a line
            }
            for (TopicPartition partition : partitions) {
                owned.put(partition, new HashMap<>());
            }
            consumer.seekToBeginning(partitions);
            consumer.endOffsets(partitions).forEach((partition, end) -> {
                if (end > 0) {
                    catchingUp.put(partition, end);
                }
            });
            LOG.info("fleet group {}: gained partitions {}; now {} partitions", group, numbers(partitions), owned.size());
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            int lost = drop(partitions);
            LOG.info("fleet group {}: gave up partitions {} ({} targets); now {} partitions, {} targets",
                    group, numbers(partitions), lost, owned.size(), current.size());
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            int lost = drop(partitions);
            LOG.warn("fleet group {}: lost partitions {} ({} targets) without a rebalance (session expired?); now {} partitions",
                    group, numbers(partitions), lost, owned.size());
        }
    }

    private static String numbers(Collection<TopicPartition> partitions) {
        return new TreeSet<>(partitions.stream().map(TopicPartition::partition).toList()).toString();
    }

    /** Stops reading and leaves the group (unless configured not to), so the others take the targets over at once. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("closed fleet membership of group {}", group);
    }
}
