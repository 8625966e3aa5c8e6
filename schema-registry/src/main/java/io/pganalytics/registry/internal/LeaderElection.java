package io.pganalytics.registry.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Configurable;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Elects one writing instance among the registries sharing a topic, with Kafka's own group membership, the way
 * Confluent's registry does: every instance joins one consumer group (classic protocol) subscribed to the
 * registry's topic, each member's subscription carries its URL, and {@link LeaderAssignor} (run by the group's
 * coordinator-chosen member) gives partition 0 to one eligible member and tells every member that member's URL.
 * The member holding the partition is the leader; the others forward writes to the URL they were told.
 *
 * <p>The consumer never reads (its partition is paused) and never commits; it exists for membership. A leader that
 * stops heartbeating loses the partition after {@code session.timeout.ms}; a leader that does not know it lost it
 * is fenced by its transactional producer (see {@link SchemasTopic}), so two leaders never both write.
 */
public final class LeaderElection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The consumer config key through which this election reaches the assignor instance Kafka creates. */
    static final String ELECTION_CONFIG = "pganalytics.registry.election";

    /** What the elected instance does when it gains or loses the leadership. */
    public interface Listener {
        void elected();

        void deposed();

        /**
         * False when the writer was lost while this instance still holds the partition (a write failed with an
         * unknown outcome); the election then takes the leadership again, which fences and catches up.
         */
        boolean writing();
    }

    private final String topic;
    private final String url;
    private final boolean eligible;
    private final Listener listener;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final Object changes = new Object();
    // Guarded by changes.
    private String leaderUrl;
    private boolean leader;
    private volatile boolean closing;

    public LeaderElection(String bootstrapServers, String groupId, String topic, String url, boolean eligible,
                          Listener listener) {
        this.topic = topic;
        this.url = url;
        this.eligible = eligible;
        this.listener = listener;
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "schema-registry-election-" + topic);
        config.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, List.of(LeaderAssignor.class));
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // A dead leader is replaced within this. A leader that leaves is replaced once the others rejoin, which they
        // learn at their next heartbeat: every second, so that followers retrying a forwarded write wait little.
        config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
        config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ELECTION_CONFIG, this);
        this.consumer = new KafkaConsumer<>(config);
        this.thread = new Thread(this::run, "schema-registry-election-" + topic);
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** True while this instance holds the leadership, has caught up with the topic and can write. */
    public boolean isLeader() {
        synchronized (changes) {
            return leader && listener.writing();
        }
    }

    /** The leader's URL, once one is known (this instance's own when it leads). */
    public Optional<String> leaderUrl() {
        synchronized (changes) {
            return Optional.ofNullable(leaderUrl);
        }
    }

    /** Waits until some instance is known to lead (or the timeout passes); answers its URL. */
    public Optional<String> awaitLeader(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (changes) {
            while (leaderUrl == null || leaderUrl.equals(url) && !(leader && listener.writing())) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0 || closing) {
                    return Optional.empty();
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(changes, remaining);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Optional.empty();
                }
            }
            return Optional.of(leaderUrl);
        }
    }

    private void run() {
        try {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    if (!partitions.isEmpty()) {
                        depose("partition revoked");
                    }
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    depose("group membership lost");
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    // Membership only: the reader in SchemasTopic reads the topic, this consumer never does.
                    consumer.pause(partitions);
                }
            });
            while (!closing) {
                consumer.poll(Duration.ofMillis(200));
                boolean shouldLead = !consumer.assignment().isEmpty();
                boolean leads;
                synchronized (changes) {
                    leads = leader;
                }
                if (leads && !listener.writing()) {
                    depose("its writer failed");
                    leads = false;
                }
                if (shouldLead && !leads) {
                    elect();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("leader election for topic {} stopped; this instance no longer writes", topic, e);
            depose("election stopped");
        } finally {
            depose("shutting down");
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void elect() {
        try {
            listener.elected();
        } catch (RuntimeException e) {
            LOG.error("cannot take the leadership of topic {}: {}", topic, e.getMessage());
            return;
        }
        synchronized (changes) {
            leader = true;
            leaderUrl = url;
            changes.notifyAll();
        }
        LOG.info("this registry ({}) is now the leader for topic {}", url, topic);
    }

    private void depose(String reason) {
        boolean was;
        synchronized (changes) {
            was = leader;
            leader = false;
            if (was && url.equals(leaderUrl)) {
                leaderUrl = null;
            }
            changes.notifyAll();
        }
        if (was) {
            listener.deposed();
            LOG.info("this registry ({}) is no longer the leader for topic {} ({})", url, topic, reason);
        }
    }

    void leaderAssigned(String newLeaderUrl) {
        synchronized (changes) {
            if (newLeaderUrl != null && !newLeaderUrl.equals(leaderUrl) && !newLeaderUrl.equals(url)) {
                LOG.info("registry leader for topic {} is {}", topic, newLeaderUrl);
            }
            leaderUrl = newLeaderUrl;
            changes.notifyAll();
        }
    }

    byte[] memberData() {
        ObjectNode node = JSON.createObjectNode().put("url", url).put("eligible", eligible);
        return node.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        closing = true;
        consumer.wakeup();
        synchronized (changes) {
            changes.notifyAll();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The group's assignment: partition 0 of the topic to the leader, nothing to the others, and the leader's URL
     * to everyone. The member that already holds the partition keeps it (no needless hand-over, and the cooperative
     * protocol never moves it directly); otherwise the eligible member with the smallest URL gets it.
     */
    public static final class LeaderAssignor implements ConsumerPartitionAssignor, Configurable {

        private LeaderElection election;

        @Override
        public void configure(Map<String, ?> configs) {
            Object value = configs.get(ELECTION_CONFIG);
            if (value instanceof LeaderElection configured) {
                election = configured;
            }
        }

        @Override
        public ByteBuffer subscriptionUserData(Set<String> topics) {
            return ByteBuffer.wrap(election == null ? new byte[0] : election.memberData());
        }

        @Override
        public GroupAssignment assign(Cluster metadata, GroupSubscription groupSubscription) {
            Map<String, Subscription> members = groupSubscription.groupSubscription();
            Map<String, List<String>> membersByTopic = new HashMap<>();
            members.forEach((member, subscription) -> {
                for (String topic : subscription.topics()) {
                    membersByTopic.computeIfAbsent(topic, t -> new ArrayList<>()).add(member);
                }
            });
            Map<String, String> leaderOf = new HashMap<>();
            Map<String, String> leaderUrlOf = new HashMap<>();
            membersByTopic.forEach((topic, candidates) -> {
                TopicPartition partition = new TopicPartition(topic, 0);
                String chosen = candidates.stream()
                        .filter(member -> members.get(member).ownedPartitions().contains(partition))
                        .filter(member -> member(members.get(member)).path("eligible").asBoolean(true))
                        .findFirst()
                        .orElseGet(() -> candidates.stream()
                                .filter(member -> member(members.get(member)).path("eligible").asBoolean(true))
                                .filter(member -> members.values().stream().noneMatch(
                                        other -> other != members.get(member)
                                                && other.ownedPartitions().contains(partition)))
                                .min(Comparator.comparing((String member) ->
                                        member(members.get(member)).path("url").asText()).thenComparing(m -> m))
                                .orElse(null));
                if (chosen != null) {
                    leaderOf.put(topic, chosen);
                    leaderUrlOf.put(topic, member(members.get(chosen)).path("url").asText(null));
                }
            });
            Map<String, Assignment> assignments = new HashMap<>();
            members.forEach((member, subscription) -> {
                List<TopicPartition> partitions = new ArrayList<>();
                String leaderUrl = null;
                for (String topic : subscription.topics()) {
                    if (member.equals(leaderOf.get(topic))) {
                        partitions.add(new TopicPartition(topic, 0));
                    }
                    leaderUrl = leaderUrlOf.get(topic);
                }
                ObjectNode data = JSON.createObjectNode().put("leaderUrl", leaderUrl);
                assignments.put(member, new Assignment(partitions,
                        ByteBuffer.wrap(data.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))));
            });
            return new GroupAssignment(assignments);
        }

        @Override
        public void onAssignment(Assignment assignment, ConsumerGroupMetadata metadata) {
            if (election == null) {
                return;
            }
            JsonNode data = json(assignment.userData());
            election.leaderAssigned(data.path("leaderUrl").isTextual() ? data.path("leaderUrl").asText() : null);
        }

        @Override
        public List<RebalanceProtocol> supportedProtocols() {
            return List.of(RebalanceProtocol.COOPERATIVE);
        }

        @Override
        public String name() {
            return "pganalytics-registry-leader";
        }

        private static JsonNode member(Subscription subscription) {
            return json(subscription.userData());
        }

        private static JsonNode json(ByteBuffer buffer) {
            if (buffer == null || !buffer.hasRemaining()) {
                return JSON.createObjectNode();
            }
            byte[] bytes = new byte[buffer.remaining()];
            buffer.duplicate().get(bytes);
            try {
                JsonNode node = JSON.readTree(bytes);
                return node == null ? JSON.createObjectNode() : node;
            } catch (IOException e) {
                return JSON.createObjectNode();
            }
        }
    }
}
