package io.pganalytics.registry.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.avro.Schema;

/**
 * Everything the registry knows, rebuilt from its topic record by record, and the decisions made from it: which id
 * and version a registration gets, and whether it is compatible.
 *
 * <p>Records are applied by one reader thread while HTTP threads query, so every method is synchronized; queries
 * return immutable values. Nothing here talks to Kafka, which keeps it testable without a broker.
 */
public final class RegistryState {

    /** What makes two registrations "the same schema": the same type, canonical text and references. */
    private record Identity(String schemaType, String canonical, List<SchemaReference> references) {
    }

    /** A stored version with what is derived from it once: its identity and, for Avro, the parsed schema. */
    private record Stored(SchemaValue value, Identity identity, Schema avro) {
    }

    private final Map<String, NavigableMap<Integer, Stored>> subjects = new HashMap<>();
    private final Map<Integer, Stored> schemasById = new HashMap<>();
    private final Map<Identity, Integer> idsByIdentity = new HashMap<>();
    // Only ever grows, so an id freed by a hard delete is not handed out again while this process runs.
    private int maxId;
    private CompatibilityLevel globalLevel;
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();

    /** The outcome of planning a registration. */
    public sealed interface Registration {

        /** The subject already holds this schema: nothing to write, answer with its id. */
        record Existing(int id, int version) implements Registration {
        }

        /** A new version to write to the topic. */
        record Accepted(SchemaValue value) implements Registration {
        }

        /** The schema breaks the subject's compatibility level, for these reasons. */
        record Incompatible(CompatibilityLevel level, List<String> reasons) implements Registration {
        }
    }

    /** Applies a schema record; a null value is a tombstone (Confluent's hard delete) and removes the version. */
    public synchronized void applySchema(StoreKey.SchemaKey key, SchemaValue value) {
        NavigableMap<Integer, Stored> versions = subjects.computeIfAbsent(key.subject(), s -> new TreeMap<>());
        Stored previous = value == null ? versions.remove(key.version()) : versions.put(key.version(), stored(value));
        if (versions.isEmpty()) {
            subjects.remove(key.subject());
        }
        if (value != null) {
            Stored current = versions.get(key.version());
            maxId = Math.max(maxId, value.id());
            schemasById.putIfAbsent(value.id(), current);
            idsByIdentity.putIfAbsent(current.identity(), value.id());
        }
        if (previous != null && (value == null || previous.value().id() != value.id())) {
            forgetIdIfUnused(previous.value().id());
        }
    }

    /** Applies a config record; a null value or level removes the setting, so the default applies again. */
    public synchronized void applyConfig(StoreKey.ConfigKey key, ConfigValue value) {
        CompatibilityLevel level = value == null ? null : value.compatibilityLevel();
        if (key.isGlobal()) {
            globalLevel = level;
        } else if (level == null) {
            subjectLevels.remove(key.subject());
        } else {
            subjectLevels.put(key.subject(), level);
        }
    }

    /**
     * Decides what registering this schema under this subject does, as Confluent does: a schema the subject holds
     * already keeps its id and version; otherwise it must pass the subject's compatibility level, and then reuses
     * the id the same schema has under any subject, or gets the next id after the highest ever seen.
     */
    public synchronized Registration plan(String subject, AvroSchemas.ParsedSchema candidate) {
        Identity identity = new Identity(SchemaValue.AVRO, candidate.canonical(), List.of());
        NavigableMap<Integer, Stored> versions = subjects.getOrDefault(subject, new TreeMap<>());
        List<CompatibilityChecker.Version> live = new ArrayList<>();
        List<String> uncheckable = new ArrayList<>();
        for (Stored stored : versions.values()) {
            if (stored.value().deleted()) {
                continue;
            }
            if (stored.identity().equals(identity)) {
                return new Registration.Existing(stored.value().id(), stored.value().version());
            }
            if (stored.avro() != null) {
                live.add(new CompatibilityChecker.Version(stored.value().version(), stored.avro()));
            } else {
                uncheckable.add("version " + stored.value().version() + " is a " + stored.value().schemaType()
                        + " schema (or one with references), which this registry cannot compare with Avro");
            }
        }
        CompatibilityLevel level = effectiveLevel(subject);
        List<String> reasons = new ArrayList<>(
                CompatibilityChecker.incompatibilities(level, candidate.schema(), live));
        if (level != CompatibilityLevel.NONE) {
            reasons.addAll(uncheckable);
        }
        if (!reasons.isEmpty()) {
            return new Registration.Incompatible(level, List.copyOf(reasons));
        }
        int id = idsByIdentity.getOrDefault(identity, maxId + 1);
        int version = versions.isEmpty() ? 1 : versions.lastKey() + 1;
        return new Registration.Accepted(SchemaValue.avro(subject, version, id, candidate.canonical()));
    }

    /** Subjects with at least one live version, sorted. */
    public synchronized List<String> subjects() {
        return subjects.entrySet().stream()
                .filter(entry -> entry.getValue().values().stream().anyMatch(s -> !s.value().deleted()))
                .map(Map.Entry::getKey)
                .sorted()
                .toList();
    }

    /** The live version numbers of a subject, oldest first; empty when the subject has none. */
    public synchronized List<Integer> versions(String subject) {
        return live(subject).stream().map(SchemaValue::version).toList();
    }

    /** A live version of a subject. */
    public synchronized Optional<SchemaValue> version(String subject, int version) {
        Stored stored = subjects.getOrDefault(subject, new TreeMap<>()).get(version);
        return stored == null || stored.value().deleted() ? Optional.empty() : Optional.of(stored.value());
    }

    /** The newest live version of a subject. */
    public synchronized Optional<SchemaValue> latest(String subject) {
        List<SchemaValue> live = live(subject);
        return live.isEmpty() ? Optional.empty() : Optional.of(live.get(live.size() - 1));
    }

    /** The live version of a subject holding this schema. */
    public synchronized Optional<SchemaValue> find(String subject, AvroSchemas.ParsedSchema schema) {
        Identity identity = new Identity(SchemaValue.AVRO, schema.canonical(), List.of());
        return subjects.getOrDefault(subject, new TreeMap<>()).values().stream()
                .filter(stored -> !stored.value().deleted() && stored.identity().equals(identity))
                .map(Stored::value)
                .findFirst();
    }

    /** A schema by its global id; soft-deleted versions still resolve, since records written with it remain. */
    public synchronized Optional<SchemaValue> schemaById(int id) {
        return Optional.ofNullable(schemasById.get(id)).map(Stored::value);
    }

    /** How many distinct schemas (ids) the registry holds. */
    public synchronized int schemaCount() {
        return schemasById.size();
    }

    /** The global level: as set, or Confluent's default. */
    public synchronized CompatibilityLevel globalLevel() {
        return globalLevel == null ? CompatibilityLevel.DEFAULT : globalLevel;
    }

    /** The level set for this subject, if any. */
    public synchronized Optional<CompatibilityLevel> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }

    /** The level a registration under this subject must meet: the subject's, else the global one. */
    public synchronized CompatibilityLevel effectiveLevel(String subject) {
        CompatibilityLevel level = subjectLevels.get(subject);
        return level != null ? level : globalLevel();
    }

    private List<SchemaValue> live(String subject) {
        return subjects.getOrDefault(subject, new TreeMap<>()).values().stream()
                .map(Stored::value)
                .filter(value -> !value.deleted())
                .toList();
    }

    private void forgetIdIfUnused(int id) {
        boolean used = subjects.values().stream()
                .flatMap(versions -> versions.values().stream())
                .anyMatch(stored -> stored.value().id() == id);
        if (!used) {
            Stored removed = schemasById.remove(id);
            if (removed != null) {
                idsByIdentity.remove(removed.identity(), id);
            }
        }
    }

    private static Stored stored(SchemaValue value) {
        if (value.isAvro() && value.references().isEmpty()) {
            try {
                AvroSchemas.ParsedSchema parsed = AvroSchemas.parse(value.schema());
                return new Stored(value, new Identity(SchemaValue.AVRO, parsed.canonical(), List.of()),
                        parsed.schema());
            } catch (AvroSchemas.InvalidSchemaException e) {
                // Written by someone else and unreadable to us: keep it (its id is taken) but never match it.
            }
        }
        return new Stored(value, new Identity(value.schemaType(), value.schema(), value.references()), null);
    }
}
