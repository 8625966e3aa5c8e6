package io.pganalytics.schemas.registry;

import org.apache.avro.Schema;

/**
 * A schema as a registry holds it under a subject: its global id, its version there, and the schema.
 */
public record RegisteredSchema(String subject, int id, int version, Schema schema) {
}
