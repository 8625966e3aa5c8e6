package io.pganalytics.collector.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class LogLevelsTest {

    private final Logger collector = LoggerFactory.getLogger("io.pganalytics.collector.Collector");
    private final Logger kafka = LoggerFactory.getLogger("org.apache.kafka.clients.Metadata");

    @Test
    void changesPgAnalyticsLoggersOnlyAndRestoresTheStartingLevel() {
        boolean kafkaDebugBefore = kafka.isDebugEnabled();
        boolean debugBefore = collector.isDebugEnabled();
        try {
            LogLevels.set("debug");
            assertThat(collector.isDebugEnabled()).isTrue();
            assertThat(kafka.isDebugEnabled()).isEqualTo(kafkaDebugBefore);
            LogLevels.set("ERROR");
            assertThat(collector.isWarnEnabled()).isFalse();
        } finally {
            LogLevels.set(null);
        }
        assertThat(collector.isDebugEnabled()).isEqualTo(debugBefore);
    }

    @Test
    void anUnknownLevelIsRefused() {
        assertThatThrownBy(() -> LogLevels.set("loud")).isInstanceOf(io.pganalytics.config.InvalidValue.class)
                .hasMessage("log level: expected TRACE, DEBUG, INFO, WARN or ERROR, got 'loud'");
    }
}
