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

    /** What a password is bound to ({@code v2} ciphertexts): its target's id, so that one cannot be copied to another target. */
    public static String passwordContext(String targetId) {
        return "target:" + targetId;
    }

    /** Whether a collector of fleet group {@code group} monitors the record's target: the record has no group, or that one. */
    public static boolean forGroup(FleetTarget record, String group) {
        return record.getGroup() == null || group == null || record.getGroup().equals(group);
    }

    /** Why a record is not for a collector of {@code group}. */
    static String otherGroup(FleetTarget record, String group) {
        return "assigned to fleet group '" + record.getGroup() + "', this collector is in '" + group + "'";
    }

    /**
     * The target a record describes, its password decrypted with {@code secrets}, for a collector of any group.
     *
     * @see #toTarget(FleetTarget, SecretBox, String)
     */
    public static Target toTarget(FleetTarget record, SecretBox secrets) {
        return toTarget(record, secrets, null);
    }

    /**
     * The target a record describes for a collector of fleet group {@code group}, its password decrypted with
     * {@code secrets} in the context of its target ({@code v1} ciphertexts, bound to nothing, still decrypt).
     *
     * @param secrets the keys of {@code fleet.secret.keys}; null when none are configured
     * @param group   this collector's {@code collector.fleet.group}; a record of another group is not for it
     * @throws io.pganalytics.config.InvalidValue when the record breaks a rule of {@link FleetRules#checkTarget}
     * @throws InvalidValue at {@code group} when the record is assigned to another group than {@code group}
     * @throws InvalidValue at {@code password} when it cannot be decrypted (another target's ciphertext included);
     *         the message never holds the password
     */
    public static Target toTarget(FleetTarget record, SecretBox secrets, String group) {
        FleetRules.checkTarget(record);
        if (!forGroup(record, group)) {
            throw new InvalidValue("group", otherGroup(record, group));
        }
        String password = null;
        if (record.getEncryptedPassword() != null) {
            if (secrets == null) {
                throw new InvalidValue("password", "encrypted with key '" + SecretBox.keyIdOf(record.getEncryptedPassword())
                        + "', but " + SecretBox.KEYS + " is not set");
            }
            try {
                password = secrets.decrypt(record.getEncryptedPassword(), passwordContext(record.getTargetId()));
            } catch (SecretBox.Undecryptable e) {
                throw new InvalidValue("password", e.getMessage(), e);
            }
        }
        Preset preset = record.getPreset() == null ? null : Preset.parse("preset", record.getPreset());
        return new Target(record.getTargetId(), record.getUrl(), record.getUser(), password, preset,
                new TreeMap<>(record.getFamilyIntervalMillis()), List.copyOf(record.getDatabases()));
    }
}
