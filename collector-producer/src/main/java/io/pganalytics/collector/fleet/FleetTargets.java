package io.pganalytics.collector.fleet;

import io.pganalytics.collector.config.CollectorConfig;
import io.pganalytics.collector.config.Preset;
import io.pganalytics.collector.config.Target;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.secret.SecretBox;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rules a {@link FleetTarget} record must follow to be monitored, shared by the collector (which
 * reads them) and the {@code pganalytics fleet} command (which writes them), so that a record the
 * command accepts is one a collector can monitor.
 */
public final class FleetTargets {


    private FleetTargets() {
    }

    /**
     * Checks everything but the password: id, URL, preset, family intervals, databases.
     *
     * @throws IllegalArgumentException naming the field and the bad value
     */
    public static void check(FleetTarget record) {
        String id = record.getTargetId();
        if (id == null || id.isBlank() || id.contains("/")) {
            throw new IllegalArgumentException("id: required, without '/', got '" + id + "'");
        }
        if (!record.getUrl().startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("url: expected jdbc:postgresql://host:port/db, got '" + record.getUrl() + "'");
        }
        if (record.getPreset() != null) {
            Preset.parse("preset", record.getPreset());
        }
        checkFamilyIntervals(record.getFamilyIntervalMillis());
        for (String database : record.getDatabases()) {
            if (database.isBlank()) {
                throw new IllegalArgumentException("databases: an empty database name");
            }
        }
    }

    /**
     * Checks family interval overrides: known families, 0 (off) or at least 1000 ms.
     *
     * @throws IllegalArgumentException naming the family
     */
    public static void checkFamilyIntervals(Map<String, Long> intervals) {
        intervals.forEach((family, millis) -> {
            if (MetricFamilies.byName(family).isEmpty() || family.equals(CollectorConfig.CUSTOM_FAMILY)) {
                throw new IllegalArgumentException("family " + family + ": unknown family (known: "
                        + String.join(", ", MetricFamilies.all().stream().map(f -> f.name())
                                .filter(n -> !n.equals(CollectorConfig.CUSTOM_FAMILY)).toList()) + ")");
            }
            if (millis == null || (millis != 0 && millis < 1000)) {
                throw new IllegalArgumentException("family " + family + ": must be 0 (off) or at least 1000 ms, got " + millis);
            }
        });
    }

    /**
     * The target a record describes, its password decrypted with {@code secrets}.
     *
     * @param secrets the keys of {@code fleet.secret.keys}; null when none are configured
     * @throws IllegalArgumentException when the record breaks a rule of {@link #check} or its password
     *                                  cannot be decrypted; the message never holds the password
     */
    public static Target toTarget(FleetTarget record, SecretBox secrets) {
        check(record);
        String password = null;
        if (record.getEncryptedPassword() != null) {
            if (secrets == null) {
                throw new IllegalArgumentException("password: encrypted with key '" + SecretBox.keyIdOf(record.getEncryptedPassword())
                        + "', but " + SecretBox.KEYS + " is not set");
            }
            try {
                password = secrets.decrypt(record.getEncryptedPassword());
            } catch (SecretBox.Undecryptable e) {
                throw new IllegalArgumentException("password: " + e.getMessage());
            }
        }
        Preset preset = record.getPreset() == null ? null : Preset.parse("preset", record.getPreset());
        return new Target(record.getTargetId(), record.getUrl(), record.getUser(), password, preset,
                new TreeMap<>(record.getFamilyIntervalMillis()), List.copyOf(record.getDatabases()));
    }
}
