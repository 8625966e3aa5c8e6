package io.pganalytics.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SchemaRegistryClient} over the Confluent Schema Registry REST API, ours or Confluent's,
 * with the caches a serializer needs so that the registry is asked once per schema, not once per record.
 *
 * <p>Schemas and ids never change once assigned, so both caches are unbounded and never expire;
 * the only thing that can change is a subject's latest version, which is therefore not cached.
 * Connection errors and 5xx answers are retried with exponential backoff over the configured URLs.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient {

    private static final Logger LOG = LoggerFactory.getLogger(HttpSchemaRegistryClient.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<URI> baseUrls;
    private final String authorization;
    private final int maxRetries;
    private final Duration initialBackoff;
    private final HttpClient http;

    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<SubjectSchema, Integer> idsBySubjectSchema = new ConcurrentHashMap<>();

    private record SubjectSchema(String subject, Schema schema) {
    }

    /**
     * @param baseUrls   one or more registry URLs, tried in order
     * @param userInfo   {@code user:password} for HTTP basic auth, or null
     * @param maxRetries how many times a connection error or 5xx is retried
     */
    public HttpSchemaRegistryClient(List<String> baseUrls, String userInfo, int maxRetries, Duration initialBackoff) {
        if (baseUrls.isEmpty()) {
            throw new IllegalArgumentException("at least one schema registry URL is required");
        }
        List<URI> parsed = baseUrls.stream().map(HttpSchemaRegistryClient::parseUrl).toList();
        // basic.auth.credentials.source=URL: the JDK client ignores user info in a URL, so lift it
        // into the header ourselves and keep it out of the request line (and the logs).
        String credentials = userInfo != null && !userInfo.isBlank() ? userInfo
                : parsed.stream().map(URI::getRawUserInfo).filter(Objects::nonNull).findFirst()
                        .map(raw -> URLDecoder.decode(raw, StandardCharsets.UTF_8)).orElse(null);
        this.baseUrls = parsed.stream().map(HttpSchemaRegistryClient::withoutUserInfo).toList();
        this.authorization = credentials == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
        this.maxRetries = maxRetries;
        this.initialBackoff = initialBackoff;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @Override
    public int register(String subject, Schema schema) {
        return idsBySubjectSchema.computeIfAbsent(new SubjectSchema(subject, schema), key -> {
            JsonNode reply = send("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema));
            int id = reply.path("id").asInt();
            schemasById.putIfAbsent(id, schema);
            return id;
        });
    }

    @Override
    public Optional<RegisteredSchema> lookup(String subject, Schema schema) {
        try {
            JsonNode reply = send("POST", "/subjects/" + encode(subject), schemaBody(schema));
            RegisteredSchema found = toRegistered(reply);
            idsBySubjectSchema.put(new SubjectSchema(subject, schema), found.id());
            schemasById.putIfAbsent(found.id(), found.schema());
            return Optional.of(found);
        } catch (SchemaRegistryException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public Optional<Integer> idOf(String subject, Schema schema) {
        Integer cached = idsBySubjectSchema.get(new SubjectSchema(subject, schema));
        return cached != null ? Optional.of(cached) : lookup(subject, schema).map(RegisteredSchema::id);
    }

    @Override
    public Schema schemaById(int id) {
        return schemasById.computeIfAbsent(id, key -> {
            JsonNode reply = send("GET", "/schemas/ids/" + key, null);
            return new Schema.Parser().parse(reply.path("schema").asText());
        });
    }

    @Override
    public RegisteredSchema latest(String subject) {
        return version(subject, "latest");
    }

    @Override
    public RegisteredSchema version(String subject, String version) {
        RegisteredSchema found = toRegistered(send("GET", "/subjects/" + encode(subject) + "/versions/" + version, null));
        schemasById.putIfAbsent(found.id(), found.schema());
        return found;
    }

    @Override
    public CompatibilityResult testCompatibility(String subject, String version, Schema schema, boolean verbose) {
        JsonNode reply = send("POST", "/compatibility/subjects/" + encode(subject) + "/versions/" + version
                + (verbose ? "?verbose=true" : ""), schemaBody(schema));
        List<String> messages = new ArrayList<>();
        reply.path("messages").forEach(node -> messages.add(node.isTextual() ? node.asText() : node.toString()));
        return new CompatibilityResult(reply.path("is_compatible").asBoolean(false), messages);
    }

    @Override
    public List<String> subjects() {
        List<String> subjects = new ArrayList<>();
        send("GET", "/subjects", null).forEach(node -> subjects.add(node.asText()));
        return subjects;
    }

    @Override
    public List<Integer> versions(String subject) {
        List<Integer> versions = new ArrayList<>();
        send("GET", "/subjects/" + encode(subject) + "/versions", null).forEach(node -> versions.add(node.asInt()));
        return versions;
    }

    private RegisteredSchema toRegistered(JsonNode reply) {
        return new RegisteredSchema(reply.path("subject").asText(), reply.path("id").asInt(),
                reply.path("version").asInt(), new Schema.Parser().parse(reply.path("schema").asText()));
    }

    private static String schemaBody(Schema schema) {
        ObjectNode body = JSON.createObjectNode();
        body.put("schema", schema.toString());
        return body.toString();
    }

    private JsonNode send(String method, String path, String body) {
        SchemaRegistryException lastFailure = null;
        Duration backoff = initialBackoff;
        for (int attempt = 0; attempt <= maxRetries; attempt++) {
            if (attempt > 0) {
                sleep(backoff);
                backoff = backoff.multipliedBy(2);
            }
            URI base = baseUrls.get(attempt % baseUrls.size());
            HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(base.getPath() + path))
                    .timeout(Duration.ofSeconds(30))
                    .header("Accept", CONTENT_TYPE + ", application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body));
            if (body != null) {
                request.header("Content-Type", CONTENT_TYPE);
            }
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            try {
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() < 300) {
                    return JSON.readTree(response.body());
                }
                lastFailure = errorOf(response);
                if (response.statusCode() < 500) {
                    throw lastFailure;
                }
            } catch (IOException e) {
                lastFailure = new SchemaRegistryException("schema registry at " + base + " is unreachable: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException("interrupted while calling the schema registry", e);
            }
            LOG.warn("schema registry {} {} failed (attempt {} of {}): {}", method, path, attempt + 1,
                    maxRetries + 1, lastFailure.getMessage());
        }
        throw Objects.requireNonNull(lastFailure);
    }

    private static SchemaRegistryException errorOf(HttpResponse<String> response) {
        int code = response.statusCode();
        String message = response.body();
        try {
            JsonNode error = JSON.readTree(response.body());
            code = error.path("error_code").asInt(code);
            message = error.path("message").asText(message);
        } catch (IOException notJson) {
            // Proxies answer with HTML; the raw body is the best message we have.
        }
        return new SchemaRegistryException(response.statusCode(), code, message);
    }

    private static void sleep(Duration backoff) {
        try {
            Thread.sleep(backoff.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("interrupted while waiting to retry the schema registry", e);
        }
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static URI withoutUserInfo(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri;
        }
        return URI.create(uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                + (uri.getRawPath() == null ? "" : uri.getRawPath()));
    }

    private static URI parseUrl(String url) {
        String trimmed = url.trim();
        URI uri = URI.create(trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed);
        if (uri.getScheme() == null || uri.getHost() == null) {
            throw new IllegalArgumentException("schema.registry.url: expected http(s)://host:port, got '" + url + "'");
        }
        return uri;
    }
}
