package io.pganalytics.streams.runtime;

/**
 * One configuration key of a streams role: its name, default (null when required) and meaning.
 * Here rather than in {@code StreamsRole}, so that the roles' own settings ({@code ingest.*},
 * {@code streams.rollups.*}) declare their keys without depending on the package that assembles them.
 */
public record Key(String name, String defaultValue, String documentation) {
}
