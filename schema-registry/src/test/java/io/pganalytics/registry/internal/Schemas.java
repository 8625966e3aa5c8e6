package io.pganalytics.registry.internal;

/** Avro schema texts the unit tests evolve. */
final class Schemas {

    private Schemas() {
    }

    /** {@code Sample {host: string}}. */
    static final String V1 = """
            {"type": "record", "name": "Sample", "namespace": "io.pganalytics.test",
             "fields": [{"name": "host", "type": "string"}]}""";

    /** V1 plus an optional field with a default: compatible in every direction. */
    static final String V2_ADDS_OPTIONAL = """
            {"type": "record", "name": "Sample", "namespace": "io.pganalytics.test",
             "fields": [{"name": "host", "type": "string"},
                        {"name": "port", "type": "int", "default": 5432}]}""";

    /** V1 plus a required field without a default: new readers cannot read old data (not BACKWARD). */
    static final String V2_ADDS_REQUIRED = """
            {"type": "record", "name": "Sample", "namespace": "io.pganalytics.test",
             "fields": [{"name": "host", "type": "string"},
                        {"name": "database", "type": "string"}]}""";

    /** V1 without its only field: new readers ignore it (BACKWARD), old readers miss it (not FORWARD). */
    static final String V2_DROPS_HOST = """
            {"type": "record", "name": "Sample", "namespace": "io.pganalytics.test", "fields": []}""";

    /** After {@link #V2_DROPS_HOST}: host comes back as an int with a default; reads V2 but not V1's string. */
    static final String V3_HOST_AS_INT = """
            {"type": "record", "name": "Sample", "namespace": "io.pganalytics.test",
             "fields": [{"name": "host", "type": "int", "default": 0}]}""";

    /** Another record type entirely. */
    static final String OTHER = """
            {"type": "record", "name": "Heartbeat", "namespace": "io.pganalytics.test",
             "fields": [{"name": "at", "type": "long"}]}""";
}
