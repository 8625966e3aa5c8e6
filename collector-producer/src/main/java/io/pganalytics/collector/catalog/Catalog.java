package io.pganalytics.collector.catalog;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pganalytics.schemas.family.MetricFamilies;
import io.pganalytics.schemas.family.MetricFamily;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The metric catalog: every family's {@link MetricDefinition}, loaded from
 * {@code catalog/<family>.yaml} on the class path and validated once, at start.
 *
 * <p>Validation catches at start what would otherwise fail on some server version in production: a
 * family of the schema contract without a definition, a definition for no family, overlapping or
 * empty version ranges, and a column list that does not start with a SELECT.
 */
public final class Catalog {

    /** Families whose rows do not come from a catalog definition. */
    private static final List<String> NOT_IN_CATALOG = List.of("custom");

    private final Map<String, MetricDefinition> definitions;

    private Catalog(Map<String, MetricDefinition> definitions) {
        this.definitions = definitions;
    }

    /** Loads and validates the catalog shipped with the collector. */
    public static Catalog load() {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
        Map<String, MetricDefinition> definitions = new LinkedHashMap<>();
        for (MetricFamily family : MetricFamilies.all()) {
            if (NOT_IN_CATALOG.contains(family.name())) {
                continue;
            }
            String resource = "catalog/" + family.name() + ".yaml";
            try (InputStream in = Catalog.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException(resource + ": missing; every metric family needs a definition");
                }
                definitions.put(family.name(), validate(resource, family, yaml.readValue(in, File.class)));
            } catch (IOException e) {
                throw new IllegalStateException(resource + ": " + e.getMessage(), e);
            }
        }
        return new Catalog(definitions);
    }

    public Optional<MetricDefinition> definition(String family) {
        return Optional.ofNullable(definitions.get(family));
    }

    public Map<String, MetricDefinition> definitions() {
        return definitions;
    }

    private static MetricDefinition validate(String resource, MetricFamily family, File file) {
        if (!family.name().equals(file.family)) {
            throw new IllegalStateException(resource + ": family must be '" + family.name() + "', got '" + file.family + "'");
        }
        if (file.queries == null || file.queries.isEmpty()) {
            throw new IllegalStateException(resource + ": no queries");
        }
        MetricDefinition.Scope scope = file.scope == null ? MetricDefinition.Scope.SERVER
                : MetricDefinition.Scope.valueOf(file.scope.toUpperCase(Locale.ROOT));
        List<MetricDefinition.Query> queries = new ArrayList<>();
        for (int i = 0; i < file.queries.size(); i++) {
            QueryFile q = file.queries.get(i);
            String where = resource + ": queries[" + i + "]";
            if (q.sql == null || !q.sql.strip().toLowerCase(Locale.ROOT).matches("(?s)(select|with)\\b.*")) {
                throw new IllegalStateException(where + ": sql must be one SELECT");
            }
            if (q.sql.strip().endsWith(";")) {
                throw new IllegalStateException(where + ": sql must not end with ';' (it is wrapped in a sub-select)");
            }
            if ((q.minExtensionVersion != null || q.maxExtensionVersion != null) && file.extension == null) {
                throw new IllegalStateException(where + ": extension versions given but no extension named");
            }
            if (q.minServerVersion != null && q.maxServerVersion != null && q.minServerVersion > q.maxServerVersion) {
                throw new IllegalStateException(where + ": minServerVersion is above maxServerVersion");
            }
            queries.add(new MetricDefinition.Query(q.minServerVersion, q.maxServerVersion, q.minExtensionVersion,
                    q.maxExtensionVersion, q.sql.strip()));
        }
        // Overlap check on the versions that matter: every supported major, and every extension version we know of.
        for (int major = 13; major <= 19; major++) {
            for (String ext : file.extension == null ? new String[] {null}
                    : new String[] {"1.8", "1.9", "1.10", "1.11", "1.12", "1.13"}) {
                int version = major * 10000;
                long matching = queries.stream().filter(q -> q.matches(version, ext == null ? "0" : ext)).count();
                if (matching > 1) {
                    throw new IllegalStateException(resource + ": " + matching + " queries match server " + version
                            + (ext == null ? "" : " with extension " + ext) + "; version ranges must not overlap");
                }
            }
        }
        return new MetricDefinition(file.family, scope, file.extension, file.description, queries);
    }

    /** The YAML shape of a definition file. */
    static final class File {
        @JsonProperty public String family;
        @JsonProperty public String scope;
        @JsonProperty public String extension;
        @JsonProperty public String description;
        @JsonProperty public List<QueryFile> queries;
    }

    /** The YAML shape of one versioned query. */
    static final class QueryFile {
        @JsonProperty public Integer minServerVersion;
        @JsonProperty public Integer maxServerVersion;
        @JsonProperty public String minExtensionVersion;
        @JsonProperty public String maxExtensionVersion;
        @JsonProperty public String sql;
    }
}
