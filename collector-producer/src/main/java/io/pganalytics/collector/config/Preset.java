package io.pganalytics.collector.config;

import io.pganalytics.config.InvalidValue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A named choice of metric families and how often each is read, as a multiple of the collector's
 * base interval ({@code collector.interval.ms}, 10 s by default): with the default, {@code standard}
 * reads activity every 10 s, statements every 30 s and tables every 5 minutes.
 *
 * <p>Multiples rather than absolute times so that one knob speeds a whole preset up (the quickstart
 * runs on a 1–5 s base) while the ratios, i.e. the cost shape per target, stay as designed.
 */
public enum Preset {
    /** Liveness and the few numbers every dashboard needs: cheap enough for thousands of targets. */
    MINIMAL(ordered(
            "server", 1, "database", 1, "activity", 3, "replication", 3, "wraparound", 30, "settings", 30)),
    /** What a DBA looks at daily: every family but the per-database detail of exhaustive. */
    STANDARD(ordered(
            "server", 1, "database", 1, "activity", 1, "locks", 1, "replication", 1,
            "statements", 3, "replication_slots", 3, "bgwriter", 3, "checkpointer", 3, "wal", 3, "io", 3,
            "archiver", 3, "wraparound", 30, "tables", 30, "indexes", 30, "settings", 30)),
    /** Everything, and the slow families more often. */
    EXHAUSTIVE(ordered(
            "server", 1, "database", 1, "activity", 1, "locks", 1, "replication", 1,
            "statements", 1, "replication_slots", 1, "bgwriter", 1, "checkpointer", 1, "wal", 1, "io", 1,
            "archiver", 1, "wraparound", 6, "tables", 6, "indexes", 6, "settings", 6));

    private final Map<String, Integer> multiples;

    Preset(Map<String, Integer> multiples) {
        this.multiples = multiples;
    }

    /** Family name to its interval as a multiple of the base interval; absent families are off. */
    public Map<String, Integer> multiples() {
        return multiples;
    }

    /**
     * The preset named at {@code path} (a key, a record's field), case-insensitive.
     *
     * @throws InvalidValue when it names none
     */
    public static Preset parse(String path, String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidValue(path, "expected minimal, standard or exhaustive, got '" + value + "'");
        }
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    private static Map<String, Integer> ordered(Object... pairs) {
        Map<String, Integer> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], (Integer) pairs[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }
}
