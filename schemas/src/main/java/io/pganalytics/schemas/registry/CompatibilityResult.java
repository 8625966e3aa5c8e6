package io.pganalytics.schemas.registry;

import java.util.List;

/**
 * A registry's answer to a compatibility check ({@code POST /compatibility/subjects/{s}/versions/{v}}):
 * whether the schema may be registered, and, when asked verbosely, why not.
 *
 * @param isCompatible Confluent's {@code is_compatible}
 * @param messages     Confluent's {@code messages}; empty unless verbose and incompatible
 */
public record CompatibilityResult(boolean isCompatible, List<String> messages) {

    public CompatibilityResult {
        messages = List.copyOf(messages);
    }
}
