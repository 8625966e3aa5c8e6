package io.pganalytics.registry.internal;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/** Parses Avro schema text, with the schemas it references, into the form the registry compares and stores. */
public final class AvroSchemas {

    private static final String UNRESOLVED_PLACEHOLDER = "org.apache.avro.compiler.UnresolvedSchema";

    private AvroSchemas() {
    }

    /**
     * A parsed schema and its canonical text: Avro's own normalised JSON, which is what the registry stores and what
     * decides whether two submissions are the same schema (whitespace and key order do not matter; names, docs,
     * defaults and properties do, as in Confluent's registry). Types that come from references are named, not
     * inlined, in the canonical text, as Confluent stores them.
     *
     * @param schema     the schema with every referenced type resolved, for compatibility checks and readers
     * @param references the references it was registered with, in request order
     */
    public record ParsedSchema(Schema schema, String canonical, List<SchemaReference> references) {
        public ParsedSchema {
            references = references == null ? List.of() : List.copyOf(references);
        }
    }

    /** Parses schema text without references. */
    public static ParsedSchema parse(String text) {
        return parse(text, List.of(), List.of());
    }

    /**
     * Parses schema text whose named types may come from referenced schemas; throws {@link InvalidSchemaException}
     * with Avro's reason when it is not a valid schema.
     *
     * @param referencedTexts the text of every schema referenced, directly or not, dependencies first
     */
    public static ParsedSchema parse(String text, List<String> referencedTexts, List<SchemaReference> references) {
        try {
            // A parser remembers the named types it has seen: one per registration, fed the referenced types first.
            Schema.Parser parser = new Schema.Parser();
            List<Schema> known = new ArrayList<>();
            for (String referenced : referencedTexts) {
                known.add(parser.parse(referenced));
            }
            Schema schema = parser.parse(text);
            String canonical = known.isEmpty() ? schema.toString() : schema.toString(known, false);
            return new ParsedSchema(schema, canonical, references);
        } catch (RuntimeException e) {
            // Avro reports bad JSON, unknown types, bad names and bad defaults with assorted runtime exceptions.
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (message.contains(UNRESOLVED_PLACEHOLDER)) {
                // Avro 1.12 answers a misspelt type at the top ({"type": "strin"}) with an NPE naming its internal
                // placeholder class, which tells a user nothing.
                message = "the schema names a type that is neither a primitive type nor defined in the schema"
                        + (references.isEmpty() ? "" : " or its references");
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
