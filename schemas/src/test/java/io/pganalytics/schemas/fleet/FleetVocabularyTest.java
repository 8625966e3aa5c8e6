package io.pganalytics.schemas.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.config.InvalidValue;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class FleetVocabularyTest {

    @Test
    void theWordsOnTheWireAreTheDocumentedOnes() {
        // These strings are in users' topics: changing one is a breaking change of the contract.
        assertThat(FleetVocabulary.KINDS).containsExactly("status-change", "throttled", "command", "config", "dropped");
        assertThat(List.of(FleetVocabulary.DONE, FleetVocabulary.FAILED, FleetVocabulary.REJECTED, FleetVocabulary.APPLIED))
                .containsExactly("done", "failed", "rejected", "applied");
        assertThat(List.of(FleetVocabulary.STATE_RUNNING, FleetVocabulary.STATE_STOPPED)).containsExactly("running", "stopped");
        assertThat(List.of(FleetVocabulary.SHUTDOWN_CLEAN, FleetVocabulary.SHUTDOWN_UNCLEAN)).containsExactly("clean", "unclean");
    }

    @Test
    void everyKindIsNamedInTheSchemaDocOfFleetEventKind() {
        String doc = FleetEvent.getClassSchema().getField("kind").doc();
        FleetVocabulary.KINDS.forEach(kind -> assertThat(doc).contains("'" + kind + "'"));
        assertThat(FleetEvent.getClassSchema().getField("kind").schema().getType())
                .as("a string, not an enum: see FleetVocabulary's note").isEqualTo(Schema.Type.STRING);
    }

    @Test
    void commandsAreNamedAsPeopleTypeThemAndUnknownCannotBeSent() {
        assertThat(FleetVocabulary.commandNames()).containsExactly("stop", "resume", "restart", "reconfigure", "collect-now");
        assertThat(FleetVocabulary.commandName(CommandType.COLLECT_NOW)).isEqualTo("collect-now");
        assertThat(FleetVocabulary.command(" Collect-Now ")).isEqualTo(CommandType.COLLECT_NOW);
        assertThatThrownBy(() -> FleetVocabulary.command("unknown")).isInstanceOf(InvalidValue.class)
                .hasMessage("command: expected stop, resume, restart, reconfigure or collect-now, got 'unknown'");
    }

    @Test
    void desiredStatesLogLevelsAndPresetsAreParsedInAnyCase() {
        assertThat(FleetVocabulary.desiredState("STOPPED")).isEqualTo(DesiredState.STOPPED);
        assertThat(FleetVocabulary.desiredState(null)).isEqualTo(DesiredState.RUNNING);
        assertThat(FleetVocabulary.stateName(DesiredState.STOPPED)).isEqualTo(FleetVocabulary.STATE_STOPPED);
        assertThat(FleetVocabulary.logLevel(" debug ")).isEqualTo("DEBUG");
        assertThat(FleetVocabulary.preset("Standard")).isEqualTo("standard");

        assertThatThrownBy(() -> FleetVocabulary.desiredState("paused"))
                .hasMessage("state: expected running or stopped, got 'paused'");
        InvalidValue level = org.junit.jupiter.api.Assertions.assertThrows(InvalidValue.class, () -> FleetVocabulary.logLevel("loud"));
        assertThat(level.path()).isEqualTo("logLevel");
        assertThat(level.reason()).isEqualTo("expected TRACE, DEBUG, INFO, WARN or ERROR, got 'loud'");
        assertThatThrownBy(() -> FleetVocabulary.preset("fast"))
                .hasMessage("preset: expected minimal, standard or exhaustive, got 'fast'");
    }
}
