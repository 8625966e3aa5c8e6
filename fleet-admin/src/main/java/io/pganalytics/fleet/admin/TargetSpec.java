package io.pganalytics.fleet.admin;

import io.pganalytics.schemas.fleet.FleetRules;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One target of the fleet as a user describes it, to be put on {@code pga.fleet.targets}: every field, since
 * a put replaces the whole target. An instance is valid: the constructor checks the fields with the
 * contract's {@link FleetRules} and throws {@link io.pganalytics.config.InvalidValue} with every problem
 * (paths: the component names, e.g. {@code url}, {@code familyIntervalMillis.tables}).
 *
 * @param targetId             the target's stable name, no '/'
 * @param url                  {@code jdbc:postgresql://host:port/db}
 * @param user                 the role to connect as; null for none
 * @param password             the password in clear, encrypted before it leaves {@link FleetAdmin}; null for none;
 *                             never shown by {@link #toString()}
 * @param preset               minimal, standard or exhaustive in any case (kept lower-cased); null: the collector's
 * @param familyIntervalMillis per-family interval overrides, 0 turns a family off
 * @param databases            databases the per-database families read; empty: every one
 * @param enabled              false keeps the target declared but unmonitored
 * @param group                the fleet group whose collectors monitor it; null: every group's
 */
public record TargetSpec(String targetId, String url, String user, String password, String preset,
                         Map<String, Long> familyIntervalMillis, List<String> databases, boolean enabled, String group) {

    /** A target for the collectors of every group. */
    public TargetSpec(String targetId, String url, String user, String password, String preset,
                      Map<String, Long> familyIntervalMillis, List<String> databases, boolean enabled) {
        this(targetId, url, user, password, preset, familyIntervalMillis, databases, enabled, null);
    }

    public TargetSpec {
        familyIntervalMillis = familyIntervalMillis == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(familyIntervalMillis));
        databases = databases == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(databases));
        Problems problems = new Problems();
        String rawPreset = preset;
        Map<String, Long> intervals = familyIntervalMillis;
        List<String> names = databases;
        problems.check(() -> FleetRules.checkTarget(targetId, url, rawPreset, intervals, names));
        if (group != null) {
            problems.check(() -> ControlPlane.checkId("group", group));
        }
        if (password != null && password.isEmpty()) {
            problems.add("password", "empty; leave it out for a target without a password");
        }
        problems.throwIfAny();
        preset = preset == null ? null : FleetVocabulary.preset(preset);
    }

    @Override
    public String toString() {
        return "TargetSpec[targetId=" + targetId + ", url=" + url + ", user=" + user + ", password=" + (password == null ? "none" : "***")
                + ", preset=" + preset + ", familyIntervalMillis=" + familyIntervalMillis + ", databases=" + databases
                + ", enabled=" + enabled + ", group=" + group + "]";
    }
}
