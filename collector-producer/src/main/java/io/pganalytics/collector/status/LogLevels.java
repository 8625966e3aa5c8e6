package io.pganalytics.collector.status;

import io.pganalytics.config.InvalidValue;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * Changes the collector's log level at run time, as {@code pga.fleet.config} asks, when logback is
 * the logging backend (it is in the {@code pganalytics} program); elsewhere it says it cannot.
 */
public final class LogLevels {

    /** The levels an operator may ask for: the contract's {@link FleetVocabulary#LOG_LEVELS}. */
    public static final Set<String> LEVELS = Set.copyOf(FleetVocabulary.LOG_LEVELS);
    /** The logger whose level is changed; its children inherit it, Kafka's and other libraries' do not. */
    public static final String LOGGER = "io.pganalytics";

    private LogLevels() {
    }

    /**
     * A level as an operator wrote it (any case, spaces around), upper-cased.
     *
     * @throws InvalidValue at {@code log level} when it is not one of TRACE, DEBUG, INFO, WARN, ERROR
     */
    public static String parse(String level) {
        try {
            return FleetVocabulary.logLevel(level);
        } catch (InvalidValue e) {
            throw new InvalidValue("log level", e.reason(), e);
        }
    }

    /**
     * Sets the level of every pgAnalytics logger; null goes back to the level it had before the first change.
     *
     * @return the level now in force, or null when it is the configured one
     * @throws InvalidValue for a level that does not exist
     * @throws IllegalArgumentException without logback
     */
    public static String set(String level) {
        String normalized = level == null || level.isBlank() ? null : parse(level);
        try {
            return Logback.set(normalized);
        } catch (NoClassDefFoundError e) {
            throw new IllegalArgumentException("log level: the logging backend is not logback, cannot change it at run time");
        }
    }

    /** Kept apart so that logback's classes are loaded only when a level is set. */
    private static final class Logback {

        private static boolean saved;
        private static ch.qos.logback.classic.Level initial;

        static synchronized String set(String level) {
            if (!(LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context)) {
                throw new IllegalArgumentException("log level: the logging backend is not logback, cannot change it at run time");
            }
            ch.qos.logback.classic.Logger logger = context.getLogger(LOGGER);
            if (!saved) {
                initial = logger.getLevel();
                saved = true;
            }
            logger.setLevel(level == null ? initial : ch.qos.logback.classic.Level.toLevel(level));
            return level;
        }
    }
}
