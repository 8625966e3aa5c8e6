package io.pganalytics.platform.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.errors.NotControllerException;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaNoiseFilterTest {

    private final LoggerContext context = new LoggerContext();
    private final EmbeddedKafkaNoiseFilter filter = new EmbeddedKafkaNoiseFilter();

    private LoggingEvent event(String logger, Throwable error) {
        return new LoggingEvent(getClass().getName(), context.getLogger(logger), Level.ERROR, "Unexpected error", error, null);
    }

    @Test
    void dropsTheControllerRegistrationRace() {
        var race = new CompletionException(new NotControllerException("The active controller appears to be node 1."));
        assertThat(filter.decide(event("kafka.server.ControllerApis", race))).isEqualTo(FilterReply.DENY);
    }

    @Test
    void keepsEveryOtherError() {
        assertThat(filter.decide(event("kafka.server.ControllerApis", new IllegalStateException("real"))))
                .isEqualTo(FilterReply.NEUTRAL);
        assertThat(filter.decide(event("io.pganalytics.Anything", new NotControllerException("x"))))
                .isEqualTo(FilterReply.NEUTRAL);
    }
}
