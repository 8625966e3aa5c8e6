package io.pganalytics.registry.internal;

import java.util.List;
import java.util.Objects;

/**
 * One version of a subject as the topic stores it:
 * {@code {"subject":"s","version":1,"id":1,"schema":"...","deleted":false}}, with {@code schemaType} and
 * {@code references} present only when they are not AVRO and empty, as Confluent writes them.
 *
 * @param schema  the schema text; for Avro written by this registry, Avro's own normalised JSON
 * @param deleted Confluent's soft delete: the version is hidden, its id still resolves
 */
public record SchemaValue(String subject, int version, int id, String schemaType, List<SchemaReference> references,
                          String schema, boolean deleted) {

    /** Confluent's name for Avro, the type assumed when a record or request names none. */
    public static final String AVRO = "AVRO";

    public SchemaValue {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(schema, "schema");
        schemaType = schemaType == null || schemaType.isEmpty() ? AVRO : schemaType;
        references = references == null ? List.of() : List.copyOf(references);
    }

    /** A live Avro version without references, the only kind this registry registers. */
    public static SchemaValue avro(String subject, int version, int id, String schema) {
        return new SchemaValue(subject, version, id, AVRO, List.of(), schema, false);
    }

    /** The same version, soft-deleted. */
    public SchemaValue asDeleted() {
        return new SchemaValue(subject, version, id, schemaType, references, schema, true);
    }

    public boolean isAvro() {
        return AVRO.equals(schemaType);
    }

    public StoreKey.SchemaKey key() {
        return new StoreKey.SchemaKey(subject, version);
    }
}
