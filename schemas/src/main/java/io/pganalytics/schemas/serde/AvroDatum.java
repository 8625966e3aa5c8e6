package io.pganalytics.schemas.serde;

import org.apache.avro.Schema;

/**
 * A decoded value together with the registry id and schema it was written with.
 *
 * @param schemaId the id from the wire-format header
 * @param schema   the writer's schema, as the registry holds it
 * @param value    the decoded Avro value (a record, or a primitive for primitive schemas)
 */
public record AvroDatum(int schemaId, Schema schema, Object value) {
}
