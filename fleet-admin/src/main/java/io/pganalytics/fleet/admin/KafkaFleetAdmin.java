package io.pganalytics.fleet.admin;

import io.pganalytics.config.InvalidValue;
import io.pganalytics.fleet.admin.internal.TopicClient;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.FleetCommand;
import io.pganalytics.schemas.fleet.FleetConfig;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.FleetRules;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.secret.SecretBox;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * {@link FleetAdmin} over the fleet topics: targets on {@code pga.fleet.targets}, desired state on
 * {@code pga.fleet.config}, commands on {@code pga.fleet.control} acknowledged on {@code pga.fleet.events},
 * status from {@code pga.fleet.heartbeats}. Nothing is contacted before the first operation.
 */
public final class KafkaFleetAdmin implements FleetAdmin {

    /**
     * Where the fleet's topics are and the keys to encrypt passwords with.
     *
     * @param secrets  {@code fleet.secret.keys}; null when none are configured (then no password can be put)
     * @param clientId the Kafka client id, so that brokers can tell the command line from the API
     */
    public record Connection(String bootstrapServers, String schemaRegistryUrl, SecretBox secrets, String clientId) {
        public Connection {
            Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            Objects.requireNonNull(schemaRegistryUrl, "schemaRegistryUrl");
            Objects.requireNonNull(clientId, "clientId");
        }
    }

    private final SecretBox secrets;
    private final TopicClient topics;

    KafkaFleetAdmin(Connection connection) {
        this.secrets = connection.secrets();
        this.topics = new TopicClient(connection.bootstrapServers(), connection.schemaRegistryUrl(), connection.clientId());
    }

    /** The fleet's administration over Kafka, every change logged with its actor. */
    public static FleetAdmin open(Connection connection) {
        return new ChangeLog(new KafkaFleetAdmin(connection));
    }

    @Override
    public FleetTarget putTarget(Actor actor, TargetSpec target) {
        Objects.requireNonNull(actor, "actor");
        String encrypted = null;
        if (target.password() != null) {
            if (secrets == null) {
                throw new InvalidValue(SecretBox.KEYS, "required to encrypt the password (keyId:base64Key; "
                        + "`pganalytics fleet keygen` makes one)");
            }
            encrypted = secrets.encrypt(target.password());
        }
        FleetTarget record = FleetTarget.newBuilder().setTargetId(target.targetId()).setUrl(target.url()).setUser(target.user())
                .setEncryptedPassword(encrypted).setPreset(target.preset()).setFamilyIntervalMillis(target.familyIntervalMillis())
                .setDatabases(target.databases()).setEnabled(target.enabled()).setGroup(target.group()).setUpdatedAt(Instant.now()).build();
        topics.write(Topics.FLEET_TARGETS, target.targetId(), record);
        return record;
    }

    @Override
    public void removeTarget(Actor actor, String targetId) {
        Objects.requireNonNull(actor, "actor");
        FleetRules.checkTargetId(targetId);
        topics.write(Topics.FLEET_TARGETS, targetId, null);
    }

    @Override
    public List<ListedTarget> listTargets() {
        List<ListedTarget> listed = new ArrayList<>();
        topics.readLatest(Topics.FLEET_TARGETS).forEach((id, value) -> {
            if (value instanceof FleetTarget target) {
                listed.add(new ListedTarget.Target(id, target));
            } else if (value instanceof TopicClient.Unreadable unreadable) {
                listed.add(new ListedTarget.Unreadable(id, unreadable.reason()));
            } else {
                listed.add(new ListedTarget.Unreadable(id, "not a FleetTarget: " + value));
            }
        });
        return listed;
    }

    @Override
    public FleetConfig setDesiredState(Actor actor, DesiredStateSpec desired) {
        Objects.requireNonNull(actor, "actor");
        FleetConfig record = FleetConfig.newBuilder().setCollectorId(desired.collectorId()).setState(desired.state())
                .setLogLevel(desired.logLevel()).setFamilyIntervalMillis(desired.familyIntervalMillis()).setUpdatedAt(Instant.now())
                .build();
        topics.write(Topics.FLEET_CONFIG, desired.collectorId(), record);
        return record;
    }

    @Override
    public CommandResult sendCommand(Actor actor, CommandRequest command) {
        Objects.requireNonNull(actor, "actor");
        String commandId = UUID.randomUUID().toString();
        FleetCommand record = FleetCommand.newBuilder().setCommandId(commandId).setCollectorId(command.collectorId())
                .setCommand(command.command()).setIssuedAt(Instant.now()).setIssuedBy(actor.toString()).build();
        if (command.timeout().isZero()) {
            topics.write(Topics.FLEET_CONTROL, command.collectorId(), record);
            return new CommandResult.Sent(commandId, command);
        }
        // Read from the end before writing, so that even an instant acknowledgement is seen.
        try (TopicClient.Tail acks = topics.tail(Topics.FLEET_EVENTS)) {
            topics.write(Topics.FLEET_CONTROL, command.collectorId(), record);
            Object ack = acks.await(v -> v instanceof FleetEvent e && FleetVocabulary.KIND_COMMAND.equals(e.getKind())
                    && commandId.equals(e.getCommandId()), command.timeout());
            if (ack instanceof FleetEvent event) {
                return new CommandResult.Acknowledged(commandId, command, event.getTo(), event.getReason());
            }
            return new CommandResult.Unacknowledged(commandId, command);
        }
    }

    @Override
    public List<Heartbeat> status(StatusQuery query) {
        Instant since = Instant.now().minus(Duration.ofMinutes(query.sinceMinutes()));
        Map<String, Object> latest = topics.readLatest(Topics.FLEET_HEARTBEATS, since);
        List<Heartbeat> heartbeats = new ArrayList<>();
        latest.forEach((id, value) -> {
            if (value instanceof Heartbeat heartbeat && (query.collectorId() == null || query.collectorId().equals(id))) {
                heartbeats.add(heartbeat);
            }
        });
        heartbeats.sort(Comparator.comparing(h -> h.getCollectorId().toString()));
        return heartbeats;
    }

    @Override
    public void close() {
        topics.close();
    }
}
