package io.pganalytics.fleet.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pganalytics.schemas.fleet.FleetConfig;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.secret.SecretBox;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The change log around any FleetAdmin: one line per change made, naming its actor; reads and failures are not changes. */
class ChangeLogTest {

    private static final Actor ALICE = new Actor("alice", "operator", "10.1.2.3");
    private static final SecretBox KEYS = SecretBox.parse(SecretBox.generateKey("k7"));

    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(ChangeLog.class);
    private final Recording recording = new Recording();
    private final FleetAdmin admin = new ChangeLog(recording);

    @BeforeEach
    void capture() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void release() {
        logger.detachAppender(lines);
    }

    private List<String> logged() {
        return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void everyChangeIsOneLineNamingItsActor() {
        admin.putTarget(ALICE, new TargetSpec("db1", "jdbc:postgresql://db1/postgres", null, "pw", null, Map.of(), List.of(), true));
        admin.removeTarget(ALICE, "db2");
        admin.setDesiredState(ALICE, DesiredStateSpec.of("c1", "stopped", "debug", Map.of()));
        admin.sendCommand(ALICE, CommandRequest.of("c1", "collect-now", Duration.ofSeconds(5)));

        assertThat(logged()).containsExactly(
                "fleet change by alice (role operator, from 10.1.2.3): target db1 put (enabled, password encrypted with key k7)",
                "fleet change by alice (role operator, from 10.1.2.3): target db2 removed",
                "fleet change by alice (role operator, from 10.1.2.3): desired state of collector c1 set: stopped, log level DEBUG, "
                        + "family intervals as configured",
                "fleet change by alice (role operator, from 10.1.2.3): command id-1 collect-now to collector c1: done (collection started)");
        assertThat(recording.actors).containsOnly(ALICE).hasSize(4);
    }

    @Test
    void readsAndFailedChangesAreNotLoggedAsChanges() {
        admin.listTargets();
        admin.status(new StatusQuery(10, null));
        recording.failWith = new IllegalStateException("cannot write to pga.fleet.targets");
        assertThatThrownBy(() -> admin.removeTarget(ALICE, "db1")).hasMessageContaining("cannot write");

        assertThat(logged()).isEmpty();
    }

    /** A FleetAdmin that remembers who asked and answers without Kafka. */
    static final class Recording implements FleetAdmin {
        final List<Actor> actors = new ArrayList<>();
        RuntimeException failWith;

        private void record(Actor actor) {
            if (failWith != null) {
                throw failWith;
            }
            actors.add(actor);
        }

        @Override
        public FleetTarget putTarget(Actor actor, TargetSpec target) {
            record(actor);
            return FleetTarget.newBuilder().setTargetId(target.targetId()).setUrl(target.url())
                    .setEncryptedPassword(KEYS.encrypt(target.password())).setEnabled(target.enabled()).setUpdatedAt(Instant.EPOCH).build();
        }

        @Override
        public void removeTarget(Actor actor, String targetId) {
            record(actor);
        }

        @Override
        public List<ListedTarget> listTargets() {
            return List.of();
        }

        @Override
        public FleetConfig setDesiredState(Actor actor, DesiredStateSpec desired) {
            record(actor);
            return FleetConfig.newBuilder().setCollectorId(desired.collectorId()).setState(desired.state())
                    .setLogLevel(desired.logLevel()).setFamilyIntervalMillis(desired.familyIntervalMillis()).setUpdatedAt(Instant.EPOCH).build();
        }

        @Override
        public CommandResult sendCommand(Actor actor, CommandRequest command) {
            record(actor);
            return new CommandResult.Acknowledged("id-1", command, FleetVocabulary.DONE, "collection started");
        }

        @Override
        public List<Heartbeat> status(StatusQuery query) {
            return List.of();
        }

        @Override
        public void close() {
        }
    }
}
