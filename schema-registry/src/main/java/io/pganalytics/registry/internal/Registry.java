package io.pganalytics.registry.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's operations, in the terms of Confluent's REST API but free of HTTP: each either answers from the
 * state or throws a {@link RegistryException} carrying Confluent's status and error code.
 */
public final class Registry {

    private static final Logger LOG = LoggerFactory.getLogger(Registry.class);

    private final RegistryState state;
    private final StoreWriter writer;
    // Planning a write reads the state and the write changes it: holding one lock across both (the write returns
    // only once applied) is what keeps two concurrent registrations from taking the same id or version.
    private final ReentrantLock writes = new ReentrantLock();
    // Guarded by writes: the writer's term the state was current in when the write being planned took the lock.
    private long plannedIn;

    public Registry(RegistryState state, StoreWriter writer) {
        this.state = state;
        this.writer = writer;
    }

    /** What a registration answered: the schema's global id and its version under the subject. */
    public record Registered(int id, int version, boolean created) {
    }

    /**
     * A schema as a request carries it.
     *
     * @param id      the id to register it with (IMPORT mode only), or null
     * @param version the version to register it as (IMPORT mode only), or null
     */
    public record SchemaRequest(String schema, List<SchemaReference> references, Integer id, Integer version) {
        public SchemaRequest {
            references = references == null ? List.of() : List.copyOf(references);
        }

        public static SchemaRequest of(String schema) {
            return new SchemaRequest(schema, List.of(), null, null);
        }
    }

    /** The outcome of a compatibility test: compatible, or the reasons it is not. */
    public record CompatibilityResult(boolean compatible, List<String> messages) {
    }

    /** Registers an Avro schema under a subject, or finds it there already. */
    public Registered register(String subject, String schemaText) {
        return register(subject, SchemaRequest.of(schemaText), false);
    }

    /**
     * Registers a schema under a subject, or finds it there already.
     *
     * @param normalize Confluent's {@code normalize}: accepted; the text compared is Avro's canonical form either way
     */
    public Registered register(String subject, SchemaRequest request, boolean normalize) {
        lockForWrite();
        try {
            Mode mode = state.effectiveMode(subject);
            if (mode.readOnly()) {
                throw readOnly(subject);
            }
            AvroSchemas.ParsedSchema parsed = parse(request);
            if (mode == Mode.IMPORT) {
                return importSchema(subject, request, parsed);
            }
            if (request.id() != null && request.id() >= 0) {
                // Confluent lets a READWRITE registration name an id only when that is the id it would get anyway.
                int expected = state.idOf(parsed).orElse(-1);
                if (expected != request.id()) {
                    throw new RegistryException(422, RegistryException.OPERATION_NOT_PERMITTED,
                            "Subject " + subject + " is not in import mode; a schema id can only be chosen in IMPORT"
                                    + " mode");
                }
            }
            RegistryState.Registration plan = state.plan(subject, parsed);
            if (plan instanceof RegistryState.Registration.Existing existing) {
                return new Registered(existing.id(), existing.version(), false);
            }
            if (plan instanceof RegistryState.Registration.Incompatible incompatible) {
                throw RegistryException.incompatible(subject, incompatible.level(), incompatible.reasons());
            }
            SchemaValue value = ((RegistryState.Registration.Accepted) plan).value();
            if (request.version() != null && request.version() > 0 && request.version() != value.version()) {
                throw new RegistryException(422, RegistryException.INVALID_SCHEMA, "Invalid schema: version "
                        + request.version() + " was asked for but the next version of subject '" + subject + "' is "
                        + value.version());
            }
            store(List.of(StoreRecord.schema(value)));
            LOG.info("registered schema id {} as version {} of subject '{}'", value.id(), value.version(), subject);
            return new Registered(value.id(), value.version(), true);
        } finally {
            writes.unlock();
        }
    }

    private Registered importSchema(String subject, SchemaRequest request, AvroSchemas.ParsedSchema parsed) {
        if (request.id() == null || request.id() < 1) {
            throw new RegistryException(422, RegistryException.INVALID_SCHEMA,
                    "Invalid schema: in IMPORT mode a registration must carry the schema's \"id\"");
        }
        int id = request.id();
        if (state.idTakenByAnother(id, parsed)) {
            throw new RegistryException(422, RegistryException.OPERATION_NOT_PERMITTED,
                    "Overwrite new schema with id " + id + " is not permitted.");
        }
        SchemaValue existing = state.find(subject, parsed).orElse(null);
        if (existing != null && existing.id() == id) {
            return new Registered(id, existing.version(), false);
        }
        int version = request.version() != null && request.version() > 0 ? request.version()
                : state.nextVersion(subject);
        if (state.version(subject, version, true).isPresent()) {
            throw new RegistryException(422, RegistryException.OPERATION_NOT_PERMITTED,
                    "Overwrite of version " + version + " of subject '" + subject + "' is not permitted.");
        }
        SchemaValue value = RegistryState.valueOf(subject, version, id, parsed);
        store(List.of(StoreRecord.schema(value)));
        LOG.info("imported schema id {} as version {} of subject '{}'", id, version, subject);
        return new Registered(id, version, true);
    }

    /** The version of a subject holding this schema (soft-deleted ones too when {@code includeDeleted}). */
    public SchemaValue lookup(String subject, String schemaText) {
        return lookup(subject, SchemaRequest.of(schemaText), false);
    }

    public SchemaValue lookup(String subject, SchemaRequest request, boolean includeDeleted) {
        if (includeDeleted ? state.all(subject).isEmpty() : state.versions(subject).isEmpty()) {
            throw RegistryException.subjectNotFound(subject);
        }
        return state.find(subject, parse(request), includeDeleted).orElseThrow(RegistryException::schemaNotFound);
    }

    public List<String> subjects() {
        return state.subjects(false);
    }

    /** Subjects, optionally by prefix; soft-deleted ones added with {@code deleted}, or alone with {@code deletedOnly}. */
    public List<String> subjects(String prefix, boolean deleted, boolean deletedOnly) {
        List<String> subjects = deletedOnly ? state.deletedSubjects() : state.subjects(deleted);
        return prefix == null || prefix.isEmpty() ? subjects
                : subjects.stream().filter(subject -> subject.startsWith(prefix)).toList();
    }

    public List<Integer> versions(String subject) {
        return versions(subject, false, false);
    }

    /** A subject's version numbers: live ones, all with {@code deleted}, soft-deleted only with {@code deletedOnly}. */
    public List<Integer> versions(String subject, boolean deleted, boolean deletedOnly) {
        List<SchemaValue> all = state.all(subject);
        List<Integer> versions = all.stream()
                .filter(value -> deletedOnly ? value.deleted() : deleted || !value.deleted())
                .map(SchemaValue::version)
                .toList();
        if (versions.isEmpty() && (all.isEmpty() || !deletedOnly)) {
            throw RegistryException.subjectNotFound(subject);
        }
        return versions;
    }

    /** One version of a subject: a number from 1, or {@code latest} (or {@code -1}, Confluent's alias for it). */
    public SchemaValue version(String subject, String version) {
        return version(subject, version, false);
    }

    public SchemaValue version(String subject, String version, boolean includeDeleted) {
        int number = parseVersion(version);
        if (includeDeleted ? state.all(subject).isEmpty() : state.versions(subject).isEmpty()) {
            throw RegistryException.subjectNotFound(subject);
        }
        return (number == -1 ? state.latest(subject, includeDeleted) : state.version(subject, number, includeDeleted))
                .orElseThrow(() -> RegistryException.versionNotFound(version));
    }

    /** The ids of live schemas referencing this version of the subject. */
    public List<Integer> referencedBy(String subject, String version) {
        return state.referencedBy(subject, version(subject, version).version());
    }

    public SchemaValue schemaById(int id) {
        return state.schemaById(id).orElseThrow(() -> RegistryException.schemaNotFound(id));
    }

    /** The versions, under any subject, holding the schema with this id. */
    public List<SchemaValue> versionsWithId(int id, boolean includeDeleted) {
        schemaById(id);
        return state.versionsWithId(id, includeDeleted);
    }

    /**
     * Deletes a whole subject: soft (versions hidden, ids still resolve; Confluent's DELETE_SUBJECT record, and the
     * subject's level and mode go), or permanent once soft-deleted (every version tombstoned).
     *
     * @return the version numbers deleted
     */
    public List<Integer> deleteSubject(String subject, boolean permanent) {
        lockForWrite();
        try {
            checkWritable(subject);
            List<SchemaValue> all = state.all(subject);
            if (all.isEmpty()) {
                throw RegistryException.subjectNotFound(subject);
            }
            List<SchemaValue> live = all.stream().filter(value -> !value.deleted()).toList();
            List<Integer> deleted = new ArrayList<>();
            List<StoreRecord> records = new ArrayList<>();
            if (permanent) {
                if (!live.isEmpty()) {
                    throw new RegistryException(404, RegistryException.SUBJECT_NOT_SOFT_DELETED, "Subject '" + subject
                            + "' was not deleted first before being permanently deleted");
                }
                for (SchemaValue value : all) {
                    checkNotReferenced(value);
                    deleted.add(value.version());
                    records.add(StoreRecord.tombstone(value.key()));
                }
            } else {
                if (live.isEmpty()) {
                    throw new RegistryException(404, RegistryException.SUBJECT_SOFT_DELETED, "Subject '" + subject
                            + "' was soft deleted.Set permanent=true to delete permanently");
                }
                for (SchemaValue value : live) {
                    checkNotReferenced(value);
                    deleted.add(value.version());
                }
                StoreKey.DeleteSubjectKey key = new StoreKey.DeleteSubjectKey(subject);
                records.add(StoreRecord.of(key,
                        TopicFormat.serializeSubjectWatermark(subject, live.get(live.size() - 1).version())));
                if (state.subjectLevel(subject).isPresent()) {
                    records.add(StoreRecord.tombstone(new StoreKey.ConfigKey(subject)));
                }
                if (state.subjectMode(subject).isPresent()) {
                    records.add(StoreRecord.tombstone(new StoreKey.ModeKey(subject)));
                }
            }
            store(records);
            LOG.info("{} deleted subject '{}' (versions {})", permanent ? "permanently" : "soft", subject, deleted);
            return deleted;
        } finally {
            writes.unlock();
        }
    }

    /**
     * Deletes one version: soft, or permanent once soft-deleted.
     *
     * @return the version number deleted
     */
    public int deleteVersion(String subject, String version, boolean permanent) {
        lockForWrite();
        try {
            checkWritable(subject);
            int number = parseVersion(version);
            if (state.all(subject).isEmpty()) {
                throw RegistryException.subjectNotFound(subject);
            }
            SchemaValue value = (number == -1 ? state.latest(subject, permanent)
                    : state.version(subject, number, true))
                    .orElseThrow(() -> RegistryException.versionNotFound(version));
            if (permanent && !value.deleted()) {
                throw new RegistryException(404, RegistryException.VERSION_NOT_SOFT_DELETED, "Subject '" + subject
                        + "' Version " + value.version() + " was not deleted first before being permanently deleted");
            }
            if (!permanent && value.deleted()) {
                throw new RegistryException(404, RegistryException.VERSION_SOFT_DELETED, "Subject '" + subject
                        + "' Version " + value.version() + " was soft deleted.Set permanent=true to delete permanently");
            }
            checkNotReferenced(value);
            List<StoreRecord> records = new ArrayList<>();
            records.add(permanent ? StoreRecord.tombstone(value.key()) : StoreRecord.schema(value.asDeleted()));
            boolean lastLive = !permanent && state.versions(subject).size() == 1;
            if (lastLive && state.subjectLevel(subject).isPresent()) {
                // As Confluent: deleting the last live version deletes the subject, and with it its settings.
                records.add(StoreRecord.tombstone(new StoreKey.ConfigKey(subject)));
            }
            store(records);
            LOG.info("{} deleted version {} of subject '{}'", permanent ? "permanently" : "soft", value.version(),
                    subject);
            return value.version();
        } finally {
            writes.unlock();
        }
    }

    /**
     * Tests a schema against a subject's versions without registering it: against one version when given
     * (a number or {@code latest}), or against what a registration would be checked against when null.
     */
    public CompatibilityResult testCompatibility(String subject, String version, SchemaRequest request) {
        AvroSchemas.ParsedSchema parsed = parse(request);
        CompatibilityLevel level = state.effectiveLevel(subject);
        Integer only = null;
        if (version != null) {
            int number = parseVersion(version);
            if (number == -1) {
                // Confluent: testing against "latest" of a subject with no versions is trivially compatible.
                only = state.latest(subject).map(SchemaValue::version).orElse(null);
                if (only == null) {
                    return new CompatibilityResult(true, List.of());
                }
                if (level.transitive()) {
                    only = null;
                }
            } else {
                if (state.versions(subject).isEmpty()) {
                    throw RegistryException.subjectNotFound(subject);
                }
                only = state.version(subject, number).orElseThrow(() -> RegistryException.versionNotFound(version))
                        .version();
            }
        }
        List<String> reasons = state.incompatibilities(subject, parsed, level, only);
        return new CompatibilityResult(reasons.isEmpty(), reasons.isEmpty() ? List.of()
                : withLevel(level, reasons));
    }

    private static List<String> withLevel(CompatibilityLevel level, List<String> reasons) {
        List<String> messages = new ArrayList<>(reasons);
        messages.add("{compatibility: '" + level.name() + "'}");
        return List.copyOf(messages);
    }

    public CompatibilityLevel globalLevel() {
        return state.globalLevel();
    }

    /**
     * A subject's own level; without one, the global level when {@code defaultToGlobal}, else 40408 as in
     * Confluent's registry.
     */
    public CompatibilityLevel subjectLevel(String subject, boolean defaultToGlobal) {
        return state.subjectLevel(subject).orElseGet(() -> {
            if (defaultToGlobal) {
                return state.globalLevel();
            }
            throw RegistryException.subjectCompatibilityNotConfigured(subject);
        });
    }

    public CompatibilityLevel setGlobalLevel(String level) {
        CompatibilityLevel parsed = parseLevel(level);
        lockForWrite();
        try {
            checkWritable(null);
            store(List.of(StoreRecord.of(StoreKey.ConfigKey.global(),
                    TopicFormat.serializeConfigValue(new ConfigValue(null, parsed)))));
        } finally {
            writes.unlock();
        }
        LOG.info("global compatibility set to {}", parsed);
        return parsed;
    }

    public CompatibilityLevel setSubjectLevel(String subject, String level) {
        CompatibilityLevel parsed = parseLevel(level);
        lockForWrite();
        try {
            checkWritable(subject);
            store(List.of(StoreRecord.of(new StoreKey.ConfigKey(subject),
                    TopicFormat.serializeConfigValue(new ConfigValue(subject, parsed)))));
        } finally {
            writes.unlock();
        }
        LOG.info("compatibility of subject '{}' set to {}", subject, parsed);
        return parsed;
    }

    /** Resets the global level to the default; answers the level it had. */
    public CompatibilityLevel deleteGlobalLevel() {
        lockForWrite();
        try {
            checkWritable(null);
            CompatibilityLevel previous = state.globalLevel();
            store(List.of(StoreRecord.tombstone(StoreKey.ConfigKey.global())));
            LOG.info("global compatibility reset to the default (was {})", previous);
            return previous;
        } finally {
            writes.unlock();
        }
    }

    /** Removes a subject's own level, so the global one applies; answers the level it had. */
    public CompatibilityLevel deleteSubjectLevel(String subject) {
        lockForWrite();
        try {
            checkWritable(subject);
            if (state.all(subject).isEmpty() && state.subjectLevel(subject).isEmpty()) {
                throw RegistryException.subjectNotFound(subject);
            }
            CompatibilityLevel previous = state.subjectLevel(subject)
                    .orElseThrow(() -> RegistryException.subjectCompatibilityNotConfigured(subject));
            store(List.of(StoreRecord.tombstone(new StoreKey.ConfigKey(subject))));
            LOG.info("compatibility of subject '{}' removed (was {})", subject, previous);
            return previous;
        } finally {
            writes.unlock();
        }
    }

    public Mode globalMode() {
        return state.globalMode();
    }

    /** A subject's own mode; without one, the global mode when {@code defaultToGlobal}, else 40409. */
    public Mode subjectMode(String subject, boolean defaultToGlobal) {
        return state.subjectMode(subject).orElseGet(() -> {
            if (defaultToGlobal) {
                return state.globalMode();
            }
            throw new RegistryException(404, RegistryException.SUBJECT_MODE_NOT_CONFIGURED,
                    "Subject '" + subject + "' does not have subject-level mode configured");
        });
    }

    /**
     * Sets the global mode ({@code subject} null) or a subject's. Entering IMPORT needs an empty registry (or
     * subject) unless {@code force}, as in Confluent, since imported ids could collide with ids already given.
     */
    public Mode setMode(String subject, String mode, boolean force) {
        Mode parsed = Mode.parse(mode).orElseThrow(() -> new RegistryException(422, RegistryException.INVALID_MODE,
                "Invalid mode '" + mode + "'. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT"));
        lockForWrite();
        try {
            if (subject != null && state.subjectMode(subject).orElse(null) == Mode.READONLY_OVERRIDE
                    && parsed != Mode.READONLY_OVERRIDE) {
                throw readOnly(subject);
            }
            if (parsed == Mode.IMPORT && !force) {
                boolean empty = subject == null ? state.subjects(true).isEmpty() : state.all(subject).isEmpty();
                if (!empty) {
                    throw new RegistryException(422, RegistryException.OPERATION_NOT_PERMITTED,
                            "Cannot import since found existing subjects");
                }
            }
            StoreKey.ModeKey key = subject == null ? StoreKey.ModeKey.global() : new StoreKey.ModeKey(subject);
            store(List.of(StoreRecord.of(key, TopicFormat.serializeModeValue(new ModeValue(subject, parsed)))));
        } finally {
            writes.unlock();
        }
        LOG.info("mode of {} set to {}", subject == null ? "the registry" : "subject '" + subject + "'", parsed);
        return parsed;
    }

    /** Removes a subject's own mode; answers the mode it had. */
    public Mode deleteSubjectMode(String subject) {
        lockForWrite();
        try {
            Mode previous = subjectMode(subject, false);
            store(List.of(StoreRecord.tombstone(new StoreKey.ModeKey(subject))));
            LOG.info("mode of subject '{}' removed (was {})", subject, previous);
            return previous;
        } finally {
            writes.unlock();
        }
    }

    private void checkWritable(String subject) {
        if (state.effectiveMode(subject).readOnly()) {
            throw readOnly(subject);
        }
    }

    private static RegistryException readOnly(String subject) {
        return new RegistryException(422, RegistryException.OPERATION_NOT_PERMITTED,
                subject == null ? "The registry is in read-only mode" : "Subject " + subject + " is in read-only mode");
    }

    private void checkNotReferenced(SchemaValue value) {
        if (!state.referencedBy(value.subject(), value.version()).isEmpty()) {
            throw new RegistryException(422, RegistryException.REFERENCE_EXISTS,
                    "One or more references exist to the schema {magic=1,keytype=SCHEMA,subject=" + value.subject()
                            + ",version=" + value.version() + "}.");
        }
    }

    private AvroSchemas.ParsedSchema parse(SchemaRequest request) {
        try {
            return state.parse(request.schema(), request.references());
        } catch (AvroSchemas.InvalidSchemaException e) {
            throw RegistryException.invalidSchema(e.getMessage());
        }
    }

    private static CompatibilityLevel parseLevel(String level) {
        return CompatibilityLevel.parse(level).orElseThrow(() -> RegistryException.invalidCompatibilityLevel(level));
    }

    /** {@code latest} and {@code -1} as -1, otherwise a version number from 1. */
    static int parseVersion(String version) {
        if ("latest".equals(version)) {
            return -1;
        }
        try {
            int number = Integer.parseInt(version);
            if (number == -1 || number >= 1) {
                return number;
            }
        } catch (NumberFormatException e) {
            // falls through to the same answer as an out-of-range number
        }
        throw RegistryException.invalidVersion(version);
    }

    /**
     * Takes the write lock and waits until the state holds every earlier write: a write is planned (ids, versions,
     * checks) on the state and then stored, and both happen under this lock, so two writes are never planned on the
     * same state.
     *
     * @throws SchemasTopic.NotLeaderException when this instance does not write; nothing was done, so the request
     *                                         may be sent to the leader
     */
    private void lockForWrite() {
        writes.lock();
        try {
            plannedIn = writer.awaitCurrent();
        } catch (SchemasTopic.NotLeaderException e) {
            writes.unlock();
            throw e;
        } catch (SchemasTopic.StoreException e) {
            writes.unlock();
            throw new RegistryException(500, RegistryException.OPERATION_TIMEOUT,
                    "Operation timed out: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            writes.unlock();
            throw e;
        }
    }

    /**
     * Stores the records of one write.
     *
     * @throws SchemasTopic.NotLeaderException when nothing was written because this instance does not lead
     */
    private void store(List<StoreRecord> records) {
        try {
            writer.write(records, plannedIn);
        } catch (SchemasTopic.NotLeaderException e) {
            throw e;
        } catch (SchemasTopic.StoreTimeoutException e) {
            throw new RegistryException(500, RegistryException.OPERATION_TIMEOUT,
                    "Operation timed out: " + e.getMessage(), e);
        } catch (SchemasTopic.StoreException e) {
            throw new RegistryException(500, RegistryException.STORE_ERROR,
                    "Error in the backend data store: " + e.getMessage(), e);
        }
    }
}
