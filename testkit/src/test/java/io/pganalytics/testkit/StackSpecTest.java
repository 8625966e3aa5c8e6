package io.pganalytics.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pganalytics.schemas.TopicSpec;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.contract.TopicContract;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

class StackSpecTest {

    @ContractTopics(value = "pga.*", partitions = 1)
    @ContractTopics(Topics.FLEET_TARGETS)
    static final class EveryTopicOnePartitionButTheFleetsTargets {
    }

    @ContractTopics(value = "pga.fleet.*", partitions = 2)
    static final class FleetTopics {
    }

    @ContractTopics("pga.flet.*")
    static final class Misspelt {
    }

    @EmbeddedStack(kafka = false, registry = true, databases = "metrics")
    static final class Inconsistent {
    }

    @EmbeddedStack(postgres = true, postgresSettings = "max_connections")
    static final class MalformedSetting {
    }

    private static List<ContractTopics> declared(Class<?> type) {
        return List.of(type.getAnnotationsByType(ContractTopics.class));
    }

    private static Map<String, Integer> partitions(NewTopic[] topics) {
        return Arrays.stream(topics).collect(Collectors.toMap(NewTopic::name, NewTopic::numPartitions));
    }

    @Test
    void theLastDeclarationMatchingATopicSetsItsPartitions() {
        Map<String, Integer> partitions = partitions(StackSpec.newTopics(declared(EveryTopicOnePartitionButTheFleetsTargets.class)));
        assertThat(partitions).hasSize(TopicContract.all().size());
        assertThat(partitions).containsEntry(Topics.FLEET_TARGETS, TopicSpec.FLEET_TARGETS_PARTITIONS)
                .containsEntry(Topics.RAW_DATABASE, 1).containsEntry(Topics.FLEET_EVENTS, 1);
    }

    @Test
    void aWildcardSelectsTopicsByNameWithTheContractsCleanupPolicy() {
        NewTopic[] topics = StackSpec.newTopics(declared(FleetTopics.class));
        assertThat(partitions(topics)).containsOnlyKeys(Topics.FLEET_TARGETS, Topics.FLEET_HEARTBEATS, Topics.FLEET_STATUS,
                Topics.FLEET_CONFIG, Topics.FLEET_CONTROL, Topics.FLEET_EVENTS, Topics.FLEET_LOGS).allSatisfy((name, count) -> assertThat(count).isEqualTo(2));
        assertThat(Arrays.stream(topics).filter(t -> t.name().equals(Topics.FLEET_STATUS)).findFirst().orElseThrow().configs())
                .containsEntry("cleanup.policy", "compact");
    }

    @Test
    void aNameThatMatchesNoTopicOfTheContractIsAnError() {
        assertThatThrownBy(() -> StackSpec.newTopics(declared(Misspelt.class)))
                .hasMessage("@ContractTopics(\"pga.flet.*\") matches no topic of the contract (io.pganalytics.schemas.contract.TopicContract.all())");
    }

    @Test
    void partsConfiguredButNotDeclaredAreReportedTogether() {
        assertThatThrownBy(() -> StackSpec.check(Inconsistent.class, Inconsistent.class.getAnnotation(EmbeddedStack.class), List.of()))
                .hasMessage("@EmbeddedStack on " + Inconsistent.class.getName()
                        + ": registry = true needs kafka; postgresSettings, databases and extensions need postgres = true");
    }

    @Test
    void aMalformedSettingIsReportedBeforeAnythingStarts() {
        assertThatThrownBy(() -> StackSpec.check(MalformedSetting.class, MalformedSetting.class.getAnnotation(EmbeddedStack.class), List.of()))
                .hasMessage("@EmbeddedStack on " + MalformedSetting.class.getName() + ": setting \"max_connections\": expected key=value");
    }

    @Test
    void settingsAreKeyEqualsValue() {
        assertThat(StackSpec.settings(new String[] {"max_connections=200", "a.b = c=d"}))
                .containsExactly(Map.entry("max_connections", "200"), Map.entry("a.b", "c=d"));
        assertThatThrownBy(() -> StackSpec.settings(new String[] {"max_connections"}))
                .hasMessage("setting \"max_connections\": expected key=value");
    }
}
