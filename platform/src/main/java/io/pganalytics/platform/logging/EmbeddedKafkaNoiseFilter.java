package io.pganalytics.platform.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Drops one ERROR the embedded KRaft node logs, with a stack trace, on some starts: its controller
 * registers itself a moment before it becomes the active controller, gets NotControllerException,
 * and retries successfully. Expected, harmless, and alarming to someone running the quickstart.
 */
public final class EmbeddedKafkaNoiseFilter extends Filter<ILoggingEvent> {

    @Override
    public FilterReply decide(ILoggingEvent event) {
        if (event.getLoggerName().endsWith("ControllerApis") && causedByNotController(event.getThrowableProxy())) {
            return FilterReply.DENY;
        }
        return FilterReply.NEUTRAL;
    }

    private static boolean causedByNotController(IThrowableProxy throwable) {
        for (IThrowableProxy t = throwable; t != null; t = t.getCause()) {
            if (t.getClassName().endsWith("NotControllerException")) {
                return true;
            }
        }
        return false;
    }
}
