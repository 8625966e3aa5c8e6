package io.pganalytics.schemas.registry;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;

/**
 * What the serde needs of a Confluent-compatible schema registry.
 *
 * <p>{@link #forUrls} gives the HTTP client; a {@code mock://<scope>} URL gives an in-memory registry
 * shared by every client of that scope in the JVM, as Confluent's serde does, so that topology tests
 * run without a server.
 */
public interface SchemaRegistryClient {

    /** Registers a schema under a subject (or finds it there already) and returns its global id. */
    int register(String subject, Schema schema);

    /** The id and version of a schema under a subject, or empty when the subject does not hold it. */
    Optional<RegisteredSchema> lookup(String subject, Schema schema);

    /** The id under which a subject holds this schema, from the cache when already known. */
    Optional<Integer> idOf(String subject, Schema schema);

    /** The schema with a global id; throws {@link SchemaRegistryException} (40403) when unknown. */
    Schema schemaById(int id);

    /** The latest version of a subject; always asked of the registry, since it changes. */
    RegisteredSchema latest(String subject);

    /** One version of a subject ({@code "latest"} or a number). */
    RegisteredSchema version(String subject, String version);

    /**
     * Whether {@code schema} could be registered under {@code subject}, checked against one version
     * ({@code "latest"} or a number) under the subject's compatibility level; with {@code verbose},
     * the registry says why not.
     */
    CompatibilityResult testCompatibility(String subject, String version, Schema schema, boolean verbose);

    /** Every subject the registry holds. */
    List<String> subjects();

    /** The versions of a subject, oldest first. */
    List<Integer> versions(String subject);

    /** A client for these URLs: HTTP with 3 retries from 100 ms, or in-memory for {@code mock://scope}. */
    static SchemaRegistryClient forUrls(List<String> urls, String basicAuthUserInfo) {
        if (urls.size() == 1 && urls.get(0).startsWith(InMemorySchemaRegistry.URL_PREFIX)) {
            return InMemorySchemaRegistry.scope(urls.get(0).substring(InMemorySchemaRegistry.URL_PREFIX.length()));
        }
        return new HttpSchemaRegistryClient(urls, basicAuthUserInfo, 3, Duration.ofMillis(100));
    }

    /** A client for one URL. */
    static SchemaRegistryClient forUrl(String url) {
        return forUrls(List.of(url), null);
    }
}
