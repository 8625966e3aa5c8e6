package io.pganalytics.collector.fleet;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.CommandType;
import io.pganalytics.schemas.fleet.DesiredState;
import io.pganalytics.schemas.fleet.FleetCommand;
import io.pganalytics.schemas.fleet.FleetConfig;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.FleetRules;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.serde.AvroDeserializer;
import io.pganalytics.schemas.serde.AvroSerdeConfig;
import io.pganalytics.schemas.serde.AvroSerializer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a collector is steered remotely: applies its desired state from the compacted {@code pga.fleet.config}
 * (at start and on every change) and executes the commands addressed to it on {@code pga.fleet.control},
 * acknowledging each command id with its outcome on {@code pga.fleet.events} (kind {@code command}).
 *
 * <p>Commands are read with the committed offsets of the group {@code pga-collector-<collectorId>-control}
 * (partitions assigned by hand, no rebalancing), committed after the batch is executed and its
 * acknowledgements are flushed: a command issued while the collector was down is executed when it comes
 * back, and one executed just before a crash may be executed again (every command is safe to repeat).
 * On the very first start there is nothing committed: the channel starts at the end of the topic and
 * commits that at once, so only commands issued from then on count.
 *
 * <p>The desired state is read up to its end before any command, so that a command issued after the
 * desired state was set wins over it. Everything runs on the channel's own thread; a command that cannot
 * be read or is unknown is acknowledged {@code rejected} and never stops the channel.
 */
public final class ControlChannel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlChannel.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final String collectorId;
    private final FleetController controller;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, FleetEvent> producer;
    private final AvroDeserializer<Object> values;
    private final Thread thread;
    private volatile boolean running = true;

    private List<TopicPartition> configPartitions = List.of();
    private List<TopicPartition> controlPartitions = List.of();
    private final Map<TopicPartition, Long> configEnds = new HashMap<>();
    private boolean configRead;
    private FleetConfig desired;
    private FleetConfig applied;

    private ControlChannel(CollectorConfig config, FleetController controller, Map<String, Object> clientOverrides) {
        this.collectorId = config.collectorId();
        this.controller = Objects.requireNonNull(controller, "controller");
        Map<String, Object> consumerProps = new HashMap<>();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "pga-collector-" + collectorId + "-control");
        consumerProps.put(ConsumerConfig.CLIENT_ID_CONFIG, "pga-collector-" + collectorId + "-control");
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        consumerProps.putAll(clientOverrides);
        this.consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(), new ByteArrayDeserializer());
        Map<String, Object> serde = Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, config.schemaRegistryUrl(),
                AvroSerdeConfig.SPECIFIC_AVRO_READER, true);
        this.values = new AvroDeserializer<>();
        values.configure(serde, false);
        Map<String, Object> producerProps = new HashMap<>(serde);
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        producerProps.put(ProducerConfig.CLIENT_ID_CONFIG, "pga-collector-" + collectorId + "-control");
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        AvroSerializer<FleetEvent> events = new AvroSerializer<>();
        events.configure(producerProps, false);
        this.producer = new KafkaProducer<>(producerProps, new StringSerializer(), events);
        this.thread = new Thread(this::run, "pga-fleet-control");
        thread.setDaemon(true);
    }

    /**
     * Starts reading {@code pga.fleet.config} and {@code pga.fleet.control} for {@code config.collectorId()}.
     *
     * @param clientOverrides extra Kafka consumer settings (e.g. security), applied last
     */
    public static ControlChannel start(CollectorConfig config, FleetController controller, Map<String, Object> clientOverrides) {
        ControlChannel channel = new ControlChannel(config, controller, clientOverrides);
        try {
            channel.assign();
        } catch (RuntimeException e) {
            channel.consumer.close();
            channel.producer.close();
            channel.values.close();
            throw e;
        }
        channel.thread.start();
        return channel;
    }

    private void assign() {
        configPartitions = partitions(Topics.FLEET_CONFIG);
        controlPartitions = partitions(Topics.FLEET_CONTROL);
        List<TopicPartition> all = new ArrayList<>(configPartitions);
        all.addAll(controlPartitions);
        consumer.assign(all);
        consumer.seekToBeginning(configPartitions);
        configEnds.putAll(consumer.endOffsets(configPartitions));
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new java.util.HashSet<>(controlPartitions));
        Map<TopicPartition, OffsetAndMetadata> first = new HashMap<>();
        for (TopicPartition partition : controlPartitions) {
            if (committed.get(partition) == null) {
                consumer.seekToEnd(List.of(partition));
                first.put(partition, new OffsetAndMetadata(consumer.position(partition)));
            }
        }
        if (!first.isEmpty()) {
            // The first start: remember where we began, so commands issued while we are down later still count.
            consumer.commitSync(first);
            LOG.info("collector {}: first start of the control channel; commands from now on are executed", collectorId);
        }
        // Desired state first: commands wait until pga.fleet.config is read to its end.
        consumer.pause(controlPartitions);
    }

    private List<TopicPartition> partitions(String topic) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException(topic + ": topic does not exist; create the topics of docs/topics.md first");
        }
        return infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
    }

    private void run() {
        try {
            while (running) {
                List<ConsumerRecord<String, byte[]>> commands = new ArrayList<>();
                for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                    if (record.topic().equals(Topics.FLEET_CONFIG)) {
                        readConfig(record);
                    } else if (collectorId.equals(record.key())) {
                        commands.add(record);
                    }
                }
                if (!configRead && configEnds.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
                    configRead = true;
                    applyDesired();
                    consumer.resume(controlPartitions);
                } else if (configRead && !Objects.equals(desired, applied)) {
                    applyDesired();
                }
                if (configRead) {
                    commands.forEach(this::execute);
                    commitCommands();
                }
            }
        } catch (WakeupException e) {
            // close() asked us to stop
        } catch (RuntimeException e) {
            LOG.error("collector {}: control channel stopped: {}", collectorId, e.toString());
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(10)));
        }
    }

    private void readConfig(ConsumerRecord<String, byte[]> record) {
        if (!collectorId.equals(record.key())) {
            return;
        }
        if (record.value() == null) {
            desired = null;
            return;
        }
        try {
            desired = (FleetConfig) values.deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            LOG.warn("collector {}: ignoring unreadable desired state at {}-{}@{}: {}", collectorId, record.topic(),
                    record.partition(), record.offset(), e.getMessage());
        }
    }

    /** Applies what changed between the last applied desired state and the current one. */
    private void applyDesired() {
        FleetConfig target = desired;
        FleetConfig before = applied;
        applied = target;
        if (target == null && before == null) {
            return; // nothing desired, nothing to undo
        }
        List<String> did = new ArrayList<>();
        try {
            DesiredState state = target == null ? DesiredState.RUNNING : target.getState();
            DesiredState stateBefore = before == null ? DesiredState.RUNNING : before.getState();
            if (before == null || stateBefore != state) {
                if (state == DesiredState.ARCHIVED) {
                    // Unregistered: sample nothing and leave the fleet group, so its targets move to the others now.
                    controller.pause();
                    controller.setArchived(true);
                } else {
                    if (stateBefore == DesiredState.ARCHIVED) {
                        controller.setArchived(false); // registered again: back in the group
                    }
                    if (state == DesiredState.STOPPED) {
                        controller.pause();
                    } else {
                        controller.resume();
                    }
                }
                did.add("state " + FleetVocabulary.stateName(state));
            }
            String level = target == null || target.getLogLevel() == null ? null : FleetVocabulary.logLevel(target.getLogLevel());
            String levelBefore = before == null ? null : before.getLogLevel();
            if (!Objects.equals(level, levelBefore == null ? null : levelBefore.toUpperCase(Locale.ROOT))) {
                controller.setLogLevel(level);
                did.add("log level " + (level == null ? "as started" : level));
            }
            Map<String, Long> intervals = target == null ? Map.of() : Map.copyOf(target.getFamilyIntervalMillis());
            Map<String, Long> intervalsBefore = before == null ? Map.of() : Map.copyOf(before.getFamilyIntervalMillis());
            if (!intervals.equals(intervalsBefore)) {
                FleetRules.checkFamilyIntervals(intervals);
                controller.reconfigure(intervals);
                did.add(intervals.isEmpty() ? "family intervals as configured" : "family intervals " + new java.util.TreeMap<>(intervals));
            }
            String reason = target == null ? "desired state deleted: " + String.join(", ", did)
                    : did.isEmpty() ? "nothing changed" : String.join(", ", did);
            LOG.info("collector {}: desired state applied: {}", collectorId, reason);
            emit(FleetVocabulary.KIND_CONFIG, null, FleetVocabulary.APPLIED, reason, null);
        } catch (RuntimeException e) {
            String reason = (did.isEmpty() ? "" : "after " + String.join(", ", did) + ": ") + e.getMessage();
            LOG.warn("collector {}: desired state not applied: {}", collectorId, reason);
            emit(FleetVocabulary.KIND_CONFIG, null, FleetVocabulary.FAILED, reason, null);
        }
    }

    private void execute(ConsumerRecord<String, byte[]> record) {
        FleetCommand command;
        try {
            if (record.value() == null) {
                throw new IllegalArgumentException("empty value");
            }
            command = (FleetCommand) values.deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            String reason = "unreadable command at " + record.topic() + "-" + record.partition() + "@" + record.offset()
                    + ": " + e.getMessage();
            LOG.warn("collector {}: {}", collectorId, reason);
            emit(FleetVocabulary.KIND_COMMAND, null, FleetVocabulary.REJECTED, reason, null);
            return;
        }
        String name = FleetVocabulary.commandName(command.getCommand());
        String outcome;
        String reason;
        if (!collectorId.equals(command.getCollectorId())) {
            outcome = FleetVocabulary.REJECTED;
            reason = "addressed to collector '" + command.getCollectorId() + "' under the key of '" + collectorId + "'";
        } else if (command.getCommand() == CommandType.UNKNOWN) {
            outcome = FleetVocabulary.REJECTED;
            reason = "a command this collector does not know (newer than it?)";
        } else {
            try {
                reason = run(command.getCommand());
                outcome = FleetVocabulary.DONE;
            } catch (RuntimeException e) {
                outcome = FleetVocabulary.FAILED;
                reason = e.getMessage() == null ? e.toString() : e.getMessage();
            }
        }
        LOG.info("collector {}: command {} {}{}: {} ({})", collectorId, command.getCommandId(), name,
                command.getIssuedBy() == null ? "" : " from " + command.getIssuedBy(), outcome, reason);
        emit(FleetVocabulary.KIND_COMMAND, name, outcome, reason, command.getCommandId());
    }

    private String run(CommandType command) {
        switch (command) {
            case STOP -> {
                controller.pause();
                return "sampling stopped";
            }
            case RESUME -> {
                controller.resume();
                return "sampling resumed";
            }
            case RESTART -> {
                controller.restart();
                return "restarted";
            }
            case COLLECT_NOW -> {
                controller.collectNow();
                return "collection started";
            }
            case RECONFIGURE -> {
                Map<String, Long> intervals = applied == null ? Map.of() : Map.copyOf(applied.getFamilyIntervalMillis());
                String level = applied == null || applied.getLogLevel() == null ? null : FleetVocabulary.logLevel(applied.getLogLevel());
                FleetRules.checkFamilyIntervals(intervals);
                controller.setLogLevel(level);
                controller.reconfigure(intervals);
                return "reapplied " + (applied == null ? "the collector's own configuration (no desired state)"
                        : "log level " + (level == null ? "as started" : level) + " and " + intervals.size() + " family intervals");
            }
            default -> throw new IllegalArgumentException("unsupported command " + command);
        }
    }

    private void emit(String kind, String from, String to, String reason, String commandId) {
        FleetEvent event = FleetEvent.newBuilder()
                .setCollectorId(collectorId)
                .setAt(Instant.now())
                .setKind(kind)
                .setFrom(from)
                .setTo(to)
                .setReason(reason)
                .setCommandId(commandId)
                .build();
        producer.send(new ProducerRecord<>(Topics.FLEET_EVENTS, collectorId, event), (metadata, e) -> {
            if (e != null) {
                LOG.warn("collector {}: could not send the {} event ({}): {}", collectorId, kind, to, e.getMessage());
            }
        });
    }

    private void commitCommands() {
        Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
        for (TopicPartition partition : controlPartitions) {
            positions.put(partition, new OffsetAndMetadata(consumer.position(partition)));
        }
        if (positions.equals(lastCommitted)) {
            return;
        }
        // Acknowledgements first: a command whose ack may be lost is executed (and acknowledged) again.
        producer.flush();
        consumer.commitSync(positions);
        lastCommitted = positions;
    }

    private Map<TopicPartition, OffsetAndMetadata> lastCommitted = Map.of();

    /** Stops reading; the commands executed so far stay committed. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(10));
        values.close();
    }
}
