package io.pganalytics.registry.internal;

/**
 * A compatibility setting as the topic stores it: {@code {"compatibilityLevel":"FULL"}}, with the subject too when
 * it is a subject's setting, as Confluent writes it.
 *
 * @param compatibilityLevel null when the record carries no level (Confluent writes other settings under this key)
 */
public record ConfigValue(String subject, CompatibilityLevel compatibilityLevel) {
}
