package io.pganalytics.platform.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

/**
 * Changes the level of pgAnalytics' own loggers ({@code io.pganalytics.*}) at run time, for the log level of
 * a collector's desired state ({@code pga.fleet.config}); Kafka's and the other libraries' levels stay as
 * configured, so that DEBUG shows what the collector does without drowning it in client internals.
 */
public final class LogLevels {

    /** The logger whose level is changed; its children inherit it. */
    public static final String LOGGER = "io.pganalytics";

    private static final Object LOCK = new Object();
    private static boolean saved;
    private static Level initial;

    private LogLevels() {
    }

    /**
     * Sets the level of {@code io.pganalytics}: TRACE, DEBUG, INFO, WARN or ERROR; null restores the level it
     * had before the first change.
     *
     * @throws IllegalArgumentException for another level name
     * @throws IllegalStateException    when logging is not backed by logback
     */
    public static void set(String level) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            throw new IllegalStateException("log levels can only be changed with logback, not "
                    + LoggerFactory.getILoggerFactory().getClass().getName());
        }
        Logger logger = context.getLogger(LOGGER);
        synchronized (LOCK) {
            if (!saved) {
                initial = logger.getLevel();
                saved = true;
            }
            if (level == null) {
                logger.setLevel(initial);
                return;
            }
            Level parsed = Level.toLevel(level.strip(), null);
            if (parsed == null || parsed == Level.ALL || parsed == Level.OFF) {
                throw new IllegalArgumentException("log level: expected TRACE, DEBUG, INFO, WARN or ERROR, got '" + level + "'");
            }
            logger.setLevel(parsed);
        }
    }
}
