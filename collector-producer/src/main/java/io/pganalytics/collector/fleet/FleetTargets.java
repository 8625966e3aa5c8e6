package io.pganalytics.collector.fleet;

import io.pganalytics.collector.config.Preset;
import io.pganalytics.collector.config.Target;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.schemas.fleet.FleetRules;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.secret.SecretBox;
import java.util.List;
import java.util.TreeMap;

/**
 * How a {@link FleetTarget} record becomes a target this collector monitors. The record must follow the
 * contract's {@link FleetRules}, the same rules fleet-admin checks before it writes one, so that a record
 * the writers accept is one a collector can monitor.
 */
public final class FleetTargets {

    private FleetTargets() {
    }

    /**
     * The target a record describes, its password decrypted with {@code secrets}.
     *
     * @param secrets the keys of {@code fleet.secret.keys}; null when none are configured
     * @throws io.pganalytics.config.InvalidValue when the record breaks a rule of {@link FleetRules#checkTarget}
     * @throws InvalidValue at {@code password} when it cannot be decrypted; the message never holds the password
     */
    public static Target toTarget(FleetTarget record, SecretBox secrets) {
        FleetRules.checkTarget(record);
        String password = null;
        if (record.getEncryptedPassword() != null) {
            if (secrets == null) {
                throw new InvalidValue("password", "encrypted with key '" + SecretBox.keyIdOf(record.getEncryptedPassword())
                        + "', but " + SecretBox.KEYS + " is not set");
            }
            try {
                password = secrets.decrypt(record.getEncryptedPassword());
            } catch (SecretBox.Undecryptable e) {
                throw new InvalidValue("password", e.getMessage(), e);
            }
        }
        Preset preset = record.getPreset() == null ? null : Preset.parse("preset", record.getPreset());
        return new Target(record.getTargetId(), record.getUrl(), record.getUser(), password, preset,
                new TreeMap<>(record.getFamilyIntervalMillis()), List.copyOf(record.getDatabases()));
    }
}
