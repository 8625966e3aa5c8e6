package io.pganalytics.registry.internal;

/** A mode setting as the topic stores it: {@code {"subject":"s","mode":"READONLY"}}, without a subject for the global one. */
public record ModeValue(String subject, Mode mode) {
}
