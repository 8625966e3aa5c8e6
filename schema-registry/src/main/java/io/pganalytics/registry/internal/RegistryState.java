package io.pganalytics.registry.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
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

    /** A stored version with what is derived from it once: its identity and, for Avro, the resolved schema. */
    private record Stored(SchemaValue value, Identity identity, Schema avro) {
    }

    private final Map<String, NavigableMap<Integer, Stored>> subjects = new HashMap<>();
    private final Map<Integer, Stored> schemasById = new HashMap<>();
    private final Map<Identity, Integer> idsByIdentity = new HashMap<>();
    // Only ever grows, so an id freed by a hard delete is not handed out again while this process runs.
    private int maxId;
    private CompatibilityLevel globalLevel;
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private Mode globalMode;
    private final Map<String, Mode> subjectModes = new HashMap<>();

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

    /** Applies one record of the topic; a null value is a tombstone. */
    public synchronized void apply(StoreKey key, byte[] value) {
        if (key instanceof StoreKey.SchemaKey schemaKey) {
            applySchema(schemaKey, value == null ? null : TopicFormat.parseSchemaValue(schemaKey, value));
        } else if (key instanceof StoreKey.ConfigKey configKey) {
            applyConfig(configKey, value == null ? null : TopicFormat.parseConfigValue(configKey, value));
        } else if (key instanceof StoreKey.ModeKey modeKey) {
            applyMode(modeKey, value == null ? null : TopicFormat.parseModeValue(modeKey, value));
        } else if (key instanceof StoreKey.DeleteSubjectKey deleteKey && value != null) {
            softDeleteUpTo(deleteKey.subject(), TopicFormat.parseSubjectWatermark(value));
        } else if (key instanceof StoreKey.ClearSubjectKey clearKey && value != null) {
            NavigableMap<Integer, Stored> versions = subjects.get(clearKey.subject());
            if (versions != null) {
                for (Integer version : new ArrayList<>(versions.headMap(
                        TopicFormat.parseSubjectWatermark(value), true).keySet())) {
                    applySchema(new StoreKey.SchemaKey(clearKey.subject(), version), null);
                }
            }
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

    /** Applies a mode record; a null value removes the setting. */
    public synchronized void applyMode(StoreKey.ModeKey key, ModeValue value) {
        Mode mode = value == null ? null : value.mode();
        if (key.isGlobal()) {
            globalMode = mode;
        } else if (mode == null) {
            subjectModes.remove(key.subject());
        } else {
            subjectModes.put(key.subject(), mode);
        }
    }

    private void softDeleteUpTo(String subject, int watermark) {
        NavigableMap<Integer, Stored> versions = subjects.get(subject);
        if (versions == null) {
            return;
        }
        for (Map.Entry<Integer, Stored> entry : versions.headMap(watermark, true).entrySet()) {
            SchemaValue value = entry.getValue().value();
            if (!value.deleted()) {
                entry.setValue(new Stored(value.asDeleted(), entry.getValue().identity(), entry.getValue().avro()));
            }
        }
    }

    /**
     * Parses a schema whose references name versions this registry holds (soft-deleted ones included, as
     * Confluent resolves them).
     *
     * @throws AvroSchemas.InvalidSchemaException when the schema or a reference is invalid
     */
    public synchronized AvroSchemas.ParsedSchema parse(String text, List<SchemaReference> references) {
        return AvroSchemas.parse(text, resolve(references), references);
    }

    /** The texts of every schema the references lead to, dependencies first, each once. */
    private List<String> resolve(List<SchemaReference> references) {
        Map<StoreKey.SchemaKey, String> ordered = new LinkedHashMap<>();
        for (SchemaReference reference : references) {
            resolveInto(reference, ordered, 0);
        }
        return List.copyOf(ordered.values());
    }

    private void resolveInto(SchemaReference reference, Map<StoreKey.SchemaKey, String> ordered, int depth) {
        if (depth > 100) {
            throw new AvroSchemas.InvalidSchemaException("references nest deeper than 100 levels");
        }
        NavigableMap<Integer, Stored> versions = subjects.get(reference.subject());
        Stored target = versions == null ? null
                : reference.version() == -1 ? versions.lastEntry().getValue() : versions.get(reference.version());
        if (target == null) {
            throw new AvroSchemas.InvalidSchemaException("reference " + reference.name() + " names subject '"
                    + reference.subject() + "' version " + reference.version() + ", which does not exist");
        }
        StoreKey.SchemaKey key = target.value().key();
        if (ordered.containsKey(key)) {
            return;
        }
        for (SchemaReference nested : target.value().references()) {
            resolveInto(nested, ordered, depth + 1);
        }
        ordered.put(key, target.value().schema());
    }

    /**
     * Decides what registering this schema under this subject does, as Confluent does: a schema the subject holds
     * (live) keeps its id and version; otherwise it must pass the subject's compatibility level (unless
     * {@code skipCompatibility}, as in IMPORT mode), and then reuses the id the same schema has under any subject,
     * or gets the next id after the highest ever seen. Its version follows the highest the subject ever had,
     * soft-deleted versions included.
     */
    public synchronized Registration plan(String subject, AvroSchemas.ParsedSchema candidate) {
        Identity identity = identity(candidate);
        for (Stored stored : subjects.getOrDefault(subject, new TreeMap<>()).values()) {
            if (!stored.value().deleted() && stored.identity().equals(identity)) {
                return new Registration.Existing(stored.value().id(), stored.value().version());
            }
        }
        CompatibilityLevel level = effectiveLevel(subject);
        List<String> reasons = incompatibilities(subject, candidate, level, null);
        if (!reasons.isEmpty()) {
            return new Registration.Incompatible(level, reasons);
        }
        int id = idsByIdentity.getOrDefault(identity, maxId + 1);
        return new Registration.Accepted(valueOf(subject, nextVersion(subject), id, candidate));
    }

    /** The next version number of a subject: one past the highest it ever had, soft-deleted versions included. */
    public synchronized int nextVersion(String subject) {
        NavigableMap<Integer, Stored> versions = subjects.get(subject);
        return versions == null ? 1 : versions.lastKey() + 1;
    }

    /** The id this exact schema already has under any subject, soft-deleted versions included. */
    public synchronized Optional<Integer> idOf(AvroSchemas.ParsedSchema schema) {
        return Optional.ofNullable(idsByIdentity.get(identity(schema)));
    }

    /** True when this id is taken by a schema other than this one (IMPORT refuses to overwrite an id). */
    public synchronized boolean idTakenByAnother(int id, AvroSchemas.ParsedSchema schema) {
        Stored stored = schemasById.get(id);
        return stored != null && !stored.identity().equals(identity(schema));
    }

    /** A version as it would be stored. */
    public static SchemaValue valueOf(String subject, int version, int id, AvroSchemas.ParsedSchema schema) {
        return new SchemaValue(subject, version, id, SchemaValue.AVRO, schema.references(), schema.canonical(),
                false);
    }

    /**
     * Why the candidate breaks the level against the subject's live versions: against {@code onlyVersion} when
     * given (Confluent's compatibility test against one version), else against what the level looks at (latest,
     * or all for transitive levels). Empty when compatible.
     */
    public synchronized List<String> incompatibilities(String subject, AvroSchemas.ParsedSchema candidate,
                                                       CompatibilityLevel level, Integer onlyVersion) {
        if (level == CompatibilityLevel.NONE) {
            return List.of();
        }
        List<CompatibilityChecker.Version> live = new ArrayList<>();
        List<String> uncheckable = new ArrayList<>();
        for (Stored stored : subjects.getOrDefault(subject, new TreeMap<>()).values()) {
            if (stored.value().deleted() || onlyVersion != null && stored.value().version() != onlyVersion) {
                continue;
            }
            if (stored.avro() != null) {
                live.add(new CompatibilityChecker.Version(stored.value().version(), stored.avro()));
            } else {
                uncheckable.add("version " + stored.value().version() + " is a " + stored.value().schemaType()
                        + " schema (or one whose references no longer resolve), which cannot be compared with Avro");
            }
        }
        List<String> reasons = new ArrayList<>(CompatibilityChecker.incompatibilities(level, candidate.schema(), live));
        reasons.addAll(uncheckable);
        return List.copyOf(reasons);
    }

    /** Subjects with at least one live version (or, with {@code deleted}, any version), sorted. */
    public synchronized List<String> subjects(boolean includeDeleted) {
        return subjects.entrySet().stream()
                .filter(entry -> includeDeleted
                        || entry.getValue().values().stream().anyMatch(s -> !s.value().deleted()))
                .map(Map.Entry::getKey)
                .sorted()
                .toList();
    }

    /** Subjects that have versions, all of them soft-deleted, sorted. */
    public synchronized List<String> deletedSubjects() {
        return subjects.entrySet().stream()
                .filter(entry -> entry.getValue().values().stream().allMatch(s -> s.value().deleted()))
                .map(Map.Entry::getKey)
                .sorted()
                .toList();
    }

    /** The live version numbers of a subject, oldest first; empty when the subject has none. */
    public synchronized List<Integer> versions(String subject) {
        return all(subject).stream().filter(value -> !value.deleted()).map(SchemaValue::version).toList();
    }

    /** Every version of a subject, soft-deleted ones included, oldest first. */
    public synchronized List<SchemaValue> all(String subject) {
        return subjects.getOrDefault(subject, new TreeMap<>()).values().stream().map(Stored::value).toList();
    }

    /** A live version of a subject. */
    public synchronized Optional<SchemaValue> version(String subject, int version) {
        return version(subject, version, false);
    }

    /** A version of a subject, soft-deleted ones too when {@code includeDeleted}. */
    public synchronized Optional<SchemaValue> version(String subject, int version, boolean includeDeleted) {
        Stored stored = subjects.getOrDefault(subject, new TreeMap<>()).get(version);
        return stored == null || stored.value().deleted() && !includeDeleted ? Optional.empty()
                : Optional.of(stored.value());
    }

    /** The newest live version of a subject (or newest of all when {@code includeDeleted}). */
    public synchronized Optional<SchemaValue> latest(String subject, boolean includeDeleted) {
        List<SchemaValue> candidates = all(subject).stream().filter(v -> includeDeleted || !v.deleted()).toList();
        return candidates.isEmpty() ? Optional.empty() : Optional.of(candidates.get(candidates.size() - 1));
    }

    /** The newest live version of a subject. */
    public synchronized Optional<SchemaValue> latest(String subject) {
        return latest(subject, false);
    }

    /** The version of a subject holding this schema, live only unless {@code includeDeleted}. */
    public synchronized Optional<SchemaValue> find(String subject, AvroSchemas.ParsedSchema schema,
                                                   boolean includeDeleted) {
        Identity identity = identity(schema);
        return subjects.getOrDefault(subject, new TreeMap<>()).descendingMap().values().stream()
                .filter(stored -> (includeDeleted || !stored.value().deleted()) && stored.identity().equals(identity))
                .map(Stored::value)
                .findFirst();
    }

    /** The live version of a subject holding this schema. */
    public synchronized Optional<SchemaValue> find(String subject, AvroSchemas.ParsedSchema schema) {
        return find(subject, schema, false);
    }

    /** A schema by its global id; soft-deleted versions still resolve, since records written with it remain. */
    public synchronized Optional<SchemaValue> schemaById(int id) {
        return Optional.ofNullable(schemasById.get(id)).map(Stored::value);
    }

    /** Every version, under any subject, that holds the schema with this id; live ones unless {@code deleted}. */
    public synchronized List<SchemaValue> versionsWithId(int id, boolean includeDeleted) {
        List<SchemaValue> found = new ArrayList<>();
        for (String subject : new TreeSet<>(subjects.keySet())) {
            for (Stored stored : subjects.get(subject).values()) {
                if (stored.value().id() == id && (includeDeleted || !stored.value().deleted())) {
                    found.add(stored.value());
                }
            }
        }
        return found;
    }

    /** The ids of live schemas that reference this version, ascending. */
    public synchronized List<Integer> referencedBy(String subject, int version) {
        TreeSet<Integer> ids = new TreeSet<>();
        for (NavigableMap<Integer, Stored> versions : subjects.values()) {
            for (Stored stored : versions.values()) {
                if (stored.value().deleted()) {
                    continue;
                }
                for (SchemaReference reference : stored.value().references()) {
                    if (reference.subject().equals(subject) && reference.version() == version) {
                        ids.add(stored.value().id());
                    }
                }
            }
        }
        return List.copyOf(ids);
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

    /** The global mode: as set, or READWRITE. */
    public synchronized Mode globalMode() {
        return globalMode == null ? Mode.READWRITE : globalMode;
    }

    /** The mode set for this subject, if any. */
    public synchronized Optional<Mode> subjectMode(String subject) {
        return Optional.ofNullable(subjectModes.get(subject));
    }

    /** The mode writes under this subject obey: the subject's, else the global one. */
    public synchronized Mode effectiveMode(String subject) {
        Mode mode = subject == null ? null : subjectModes.get(subject);
        return mode != null ? mode : globalMode();
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

    private static Identity identity(AvroSchemas.ParsedSchema schema) {
        return new Identity(SchemaValue.AVRO, schema.canonical(), schema.references());
    }

    private Stored stored(SchemaValue value) {
        if (value.isAvro()) {
            try {
                AvroSchemas.ParsedSchema parsed = parse(value.schema(), value.references());
                return new Stored(value, identity(parsed), parsed.schema());
            } catch (AvroSchemas.InvalidSchemaException e) {
                // Written by someone else and unreadable to us: keep it (its id is taken) but never match it.
            }
        }
        return new Stored(value, new Identity(value.schemaType(), value.schema(), value.references()), null);
    }
}
