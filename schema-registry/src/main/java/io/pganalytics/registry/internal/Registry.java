package io.pganalytics.registry.internal;

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
    // Planning a registration reads the state and the write changes it: holding one lock across both (the write
    // returns only once applied) is what keeps two concurrent registrations from taking the same id or version.
    private final ReentrantLock writes = new ReentrantLock();

    public Registry(RegistryState state, StoreWriter writer) {
        this.state = state;
        this.writer = writer;
    }

    /** What a registration answered: the schema's global id and its version under the subject. */
    public record Registered(int id, int version, boolean created) {
    }

    /** Registers an Avro schema under a subject, or finds it there already. */
    public Registered register(String subject, String schemaText) {
        AvroSchemas.ParsedSchema parsed = parse(schemaText);
        writes.lock();
        try {
            RegistryState.Registration plan = state.plan(subject, parsed);
            if (plan instanceof RegistryState.Registration.Existing existing) {
                return new Registered(existing.id(), existing.version(), false);
            }
            if (plan instanceof RegistryState.Registration.Incompatible incompatible) {
                throw new RegistryException(409, RegistryException.INCOMPATIBLE_SCHEMA,
                        "Schema being registered is incompatible with an earlier schema for subject \"" + subject
                                + "\" (compatibility " + incompatible.level() + "), details: "
                                + incompatible.reasons());
            }
            SchemaValue value = ((RegistryState.Registration.Accepted) plan).value();
            store(() -> writer.write(value));
            LOG.info("registered schema id {} as version {} of subject '{}'", value.id(), value.version(), subject);
            return new Registered(value.id(), value.version(), true);
        } finally {
            writes.unlock();
        }
    }

    /** The version of a subject holding this schema. */
    public SchemaValue lookup(String subject, String schemaText) {
        if (state.versions(subject).isEmpty()) {
            throw RegistryException.subjectNotFound(subject);
        }
        return state.find(subject, parse(schemaText)).orElseThrow(RegistryException::schemaNotFound);
    }

    public List<String> subjects() {
        return state.subjects();
    }

    public List<Integer> versions(String subject) {
        List<Integer> versions = state.versions(subject);
        if (versions.isEmpty()) {
            throw RegistryException.subjectNotFound(subject);
        }
        return versions;
    }

    /** One version of a subject: a number from 1, or {@code latest} (or {@code -1}, Confluent's alias for it). */
    public SchemaValue version(String subject, String version) {
        int number = parseVersion(version);
        if (state.versions(subject).isEmpty()) {
            throw RegistryException.subjectNotFound(subject);
        }
        return (number == -1 ? state.latest(subject) : state.version(subject, number))
                .orElseThrow(() -> RegistryException.versionNotFound(version));
    }

    public SchemaValue schemaById(int id) {
        return state.schemaById(id).orElseThrow(() -> RegistryException.schemaNotFound(id));
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
        writes.lock();
        try {
            store(() -> writer.write(StoreKey.ConfigKey.global(), new ConfigValue(null, parsed)));
        } finally {
            writes.unlock();
        }
        LOG.info("global compatibility set to {}", parsed);
        return parsed;
    }

    public CompatibilityLevel setSubjectLevel(String subject, String level) {
        CompatibilityLevel parsed = parseLevel(level);
        writes.lock();
        try {
            store(() -> writer.write(new StoreKey.ConfigKey(subject), new ConfigValue(subject, parsed)));
        } finally {
            writes.unlock();
        }
        LOG.info("compatibility of subject '{}' set to {}", subject, parsed);
        return parsed;
    }

    private static AvroSchemas.ParsedSchema parse(String schemaText) {
        try {
            return AvroSchemas.parse(schemaText);
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

    private static void store(Runnable write) {
        try {
            write.run();
        } catch (SchemasTopic.StoreTimeoutException e) {
            throw new RegistryException(500, RegistryException.OPERATION_TIMEOUT,
                    "Operation timed out: " + e.getMessage(), e);
        } catch (SchemasTopic.StoreException e) {
            throw new RegistryException(500, RegistryException.STORE_ERROR,
                    "Error in the backend data store: " + e.getMessage(), e);
        }
    }
}
