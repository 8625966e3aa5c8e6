package io.pganalytics.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.schemas.contract.TopicContract;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TopicsDocTest {

    @Test
    void everyTopicIsDocumentedWithItsCleanupPolicy() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "topics.md"));
        for (MetricFamily family : MetricFamilies.all()) {
            assertThat(doc).as("docs/topics.md row for family %s", family.name())
                    .containsPattern("\\| `" + family.name() + "` \\| `" + family.rawSchema().getName() + "` \\|");
        }
        for (TopicSpec topic : TopicContract.all()) {
            if (MetricFamilies.byTopic(topic.name()).isPresent()) {
                continue; // documented once as pga.raw.<family>, pga.metrics.<family>, pga.rollups.<family>.*
            }
            assertThat(doc).as("docs/topics.md row for %s", topic.name())
                    .containsPattern("\\| `" + topic.name().replace(".", "\\.") + "` \\|[^\\n]*\\| "
                            + (topic.compacted() ? "compact" : "delete") + " \\|");
        }
    }

    @Test
    void namesFollowTheContract() {
        assertThat(Topics.RAW_DATABASE).isEqualTo("pga.raw.database");
        assertThat(Topics.METRICS_DATABASE).isEqualTo("pga.metrics.database");
        assertThat(Topics.valueSubject(Topics.RAW_DATABASE)).isEqualTo("pga.raw.database-value");
        assertThat(TopicContract.all()).extracting(TopicSpec::name).doesNotHaveDuplicates().allMatch(n -> n.startsWith("pga."));
    }
}
