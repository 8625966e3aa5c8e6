package io.pganalytics.registry.internal;

import org.apache.avro.Schema;

/** Parses Avro schema text into the form the registry compares and stores. */
public final class AvroSchemas {

    private static final String UNRESOLVED_PLACEHOLDER = "org.apache.avro.compiler.UnresolvedSchema";

    private AvroSchemas() {
    }

    /**
     * A parsed schema and its canonical text: Avro's own normalised JSON ({@link Schema#toString()}), which is what
     * the registry stores and what decides whether two submissions are the same schema (whitespace and key order
     * do not matter; names, docs, defaults and properties do, as in Confluent's registry).
     */
    public record ParsedSchema(Schema schema, String canonical) {
    }

    /** Parses schema text; throws {@link InvalidSchemaException} with Avro's reason when it is not a valid schema. */
    public static ParsedSchema parse(String text) {
        try {
            // A parser remembers the named types it has seen, so each schema gets a fresh one.
            Schema schema = new Schema.Parser().parse(text);
            return new ParsedSchema(schema, schema.toString());
        } catch (RuntimeException e) {
            // Avro reports bad JSON, unknown types, bad names and bad defaults with assorted runtime exceptions.
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (message.contains(UNRESOLVED_PLACEHOLDER)) {
                // Avro 1.12 answers a misspelt type at the top ({"type": "strin"}) with an NPE naming its internal
                // placeholder class, which tells a user nothing.
                message = "the schema names a type that is neither a primitive type nor defined in the schema";
            }
            throw new InvalidSchemaException(message);
        }
    }

    /** Schema text that is not a valid Avro schema. */
    public static final class InvalidSchemaException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InvalidSchemaException(String message) {
            super(message);
        }
    }
}
