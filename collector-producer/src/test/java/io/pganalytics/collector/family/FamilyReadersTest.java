package io.pganalytics.collector.family;

import static org.assertj.core.api.Assertions.assertThat;

import io.pganalytics.collector.catalog.Catalog;
import io.pganalytics.collector.config.CustomMetric;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import java.util.List;
import org.junit.jupiter.api.Test;

class FamilyReadersTest {

    private final Catalog catalog = Catalog.load();

    @Test
    void statementsAndSettingsHaveReadersOfTheirOwnAndEveryOtherFamilyIsReadAsItsCatalogSays() {
        assertThat(FamilyReaders.of("statements", catalog)).isExactlyInstanceOf(StatementsFamily.class);
        assertThat(FamilyReaders.of("settings", catalog)).isExactlyInstanceOf(SettingsFamily.class);
        for (MetricFamily family : MetricFamilies.all()) {
            if (!List.of("statements", "settings", "custom").contains(family.name())) {
                assertThat(FamilyReaders.of(family.name(), catalog)).as(family.name()).isExactlyInstanceOf(CatalogFamily.class)
                        .extracting(FamilyReader::job).isEqualTo(family.name());
            }
        }
    }

    @Test
    void eachCallBuildsANewReaderBecauseReadersKeepPerTargetState() {
        assertThat(FamilyReaders.of("statements", catalog)).isNotSameAs(FamilyReaders.of("statements", catalog));
    }

    @Test
    void aCustomMetricIsReadByItsOwnReaderUnderItsJobName() {
        CustomMetric metric = new CustomMetric("queue_depth", "SELECT 1 AS jobs", 60_000, List.of(), List.of(), List.of("jobs"), 0);
        assertThat(FamilyReaders.of(metric)).isExactlyInstanceOf(CustomFamily.class)
                .extracting(FamilyReader::job).isEqualTo("custom:queue_depth");
    }
}
