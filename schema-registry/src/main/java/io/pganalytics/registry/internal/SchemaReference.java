package io.pganalytics.registry.internal;

/** A reference from one schema to a named type registered under another subject, as Confluent stores it. */
public record SchemaReference(String name, String subject, int version) {
}
