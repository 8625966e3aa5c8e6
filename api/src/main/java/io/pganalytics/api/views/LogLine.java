package io.pganalytics.api.views;

import io.pganalytics.schemas.fleet.CollectorLog;

/** One log line a collector shipped to {@code pga.fleet.logs}, as the API shows it. */
public record LogLine(String at, String level, String logger, String message, String thread, long suppressed) {

    static LogLine of(CollectorLog log) {
        return new LogLine(log.getAt().toString(), log.getLevel(), log.getLogger(), log.getMessage(), log.getThread(),
                log.getSuppressed());
    }
}
