package io.pganalytics.registry.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Confluent Schema Registry's REST API over {@link Registry}: its paths, bodies, media types and error shape
 * ({@code {"error_code": N, "message": "..."}}), on Javalin.
 */
public final class RestApi {

    private static final Logger LOG = LoggerFactory.getLogger(RestApi.class);

    /** What every answer is, as in Confluent's registry. */
    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    /** What a request body may be declared as (a missing Content-Type is accepted too), as Confluent accepts. */
    public static final Set<String> ACCEPTED_CONTENT_TYPES = Set.of(
            "application/vnd.schemaregistry.v1+json",
            "application/vnd.schemaregistry+json",
            "application/json",
            "application/octet-stream");

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Registry registry;

    private RestApi(Registry registry) {
        this.registry = registry;
    }

    record Id(int id) {
    }

    // Field order as Confluent's answers have it.
    record VersionedSchema(String subject, int version, int id,
                           @JsonInclude(JsonInclude.Include.NON_NULL) String schemaType, String schema) {
        static VersionedSchema of(SchemaValue value) {
            return new VersionedSchema(value.subject(), value.version(), value.id(),
                    value.isAvro() ? null : value.schemaType(), value.schema());
        }
    }

    record SchemaText(@JsonInclude(JsonInclude.Include.NON_NULL) String schemaType, String schema) {
    }

    record Compatibility(String compatibility) {
    }

    record CompatibilityLevelAnswer(String compatibilityLevel) {
    }

    record ErrorAnswer(@JsonProperty("error_code") int errorCode, String message) {
    }

    /** Declares the routes, the content-type check and the error mapping on a Javalin configuration. */
    public static void configure(JavalinConfig config, Registry registry) {
        RestApi api = new RestApi(registry);
        // Unknown methods on known paths answer 405 as in Confluent's registry, not 404.
        config.http.prefer405over404 = true;
        config.http.defaultContentType = CONTENT_TYPE;

        config.routes.beforeMatched(RestApi::checkContentType);

        config.routes.get("/", ctx -> answer(ctx, Map.of()));
        config.routes.get("/schemas/types", ctx -> answer(ctx, List.of(SchemaValue.AVRO)));
        config.routes.get("/schemas/ids/{id}", api::schemaById);
        config.routes.get("/schemas/ids/{id}/schema", api::rawSchemaById);
        config.routes.get("/subjects", ctx -> answer(ctx, registry.subjects()));
        config.routes.post("/subjects/{subject}", api::lookup);
        config.routes.get("/subjects/{subject}/versions", ctx -> answer(ctx, registry.versions(subject(ctx))));
        config.routes.post("/subjects/{subject}/versions", api::register);
        config.routes.get("/subjects/{subject}/versions/{version}", ctx -> answer(ctx,
                VersionedSchema.of(registry.version(subject(ctx), ctx.pathParam("version")))));
        config.routes.get("/subjects/{subject}/versions/{version}/schema", ctx -> raw(ctx,
                registry.version(subject(ctx), ctx.pathParam("version")).schema()));
        config.routes.get("/config", ctx -> answer(ctx,
                new CompatibilityLevelAnswer(registry.globalLevel().name())));
        config.routes.put("/config", ctx -> answer(ctx,
                new Compatibility(registry.setGlobalLevel(requestedLevel(ctx)).name())));
        config.routes.get("/config/{subject}", ctx -> answer(ctx, new CompatibilityLevelAnswer(
                registry.subjectLevel(subject(ctx), "true".equalsIgnoreCase(ctx.queryParam("defaultToGlobal")))
                        .name())));
        config.routes.put("/config/{subject}", ctx -> answer(ctx,
                new Compatibility(registry.setSubjectLevel(subject(ctx), requestedLevel(ctx)).name())));

        config.routes.exception(RegistryException.class, RestApi::registryError);
        // Javalin's own answers (no such route, wrong method, body too large) in the same error shape.
        config.routes.exception(HttpResponseException.class, (e, ctx) ->
                error(ctx, e.getStatus(), e.getStatus(), "HTTP " + e.getStatus() + " " + e.getMessage()));
        config.routes.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, 500, 500, "Internal server error: " + e.getClass().getSimpleName());
        });
    }

    private void register(Context ctx) {
        String subject = subject(ctx);
        String schema = schemaOf(body(ctx));
        answer(ctx, new Id(registry.register(subject, schema).id()));
    }

    private void lookup(Context ctx) {
        String subject = subject(ctx);
        String schema = schemaOf(body(ctx));
        answer(ctx, VersionedSchema.of(registry.lookup(subject, schema)));
    }

    private void schemaById(Context ctx) {
        SchemaValue value = registry.schemaById(id(ctx));
        answer(ctx, new SchemaText(value.isAvro() ? null : value.schemaType(), value.schema()));
    }

    private void rawSchemaById(Context ctx) {
        raw(ctx, registry.schemaById(id(ctx)).schema());
    }

    /**
     * The schema text of a register or lookup body, {@code {"schema": "...", "schemaType"?: "AVRO",
     * "references"?: []}}; anything this registry cannot honour yet is refused rather than ignored.
     */
    private static String schemaOf(JsonNode body) {
        JsonNode schemaType = body.get("schemaType");
        if (schemaType != null && !schemaType.isNull()
                && !SchemaValue.AVRO.equalsIgnoreCase(schemaType.asText())) {
            throw RegistryException.invalidSchema("schemaType " + schemaType + " is not supported; this registry"
                    + " supports [\"" + SchemaValue.AVRO + "\"]");
        }
        JsonNode references = body.get("references");
        if (references != null && !references.isNull() && !references.isEmpty()) {
            throw RegistryException.invalidSchema("schema references are not supported by this registry yet");
        }
        if (body.hasNonNull("id")) {
            throw new RegistryException(422, 42205, "Choosing the id of a schema (IMPORT mode) is not supported");
        }
        JsonNode schema = body.get("schema");
        if (schema == null || !schema.isTextual() || schema.asText().isBlank()) {
            throw RegistryException.invalidSchema("\"schema\" is required and must be a string holding the schema");
        }
        return schema.asText();
    }

    private static String requestedLevel(Context ctx) {
        JsonNode body = body(ctx);
        // Confluent's requests name it "compatibility"; accept the name its answers use too.
        JsonNode level = body.hasNonNull("compatibility") ? body.get("compatibility") : body.get("compatibilityLevel");
        if (level == null || !level.isTextual()) {
            throw RegistryException.invalidCompatibilityLevel(level == null ? "" : level.toString());
        }
        return level.asText();
    }

    /** The request body as a JSON object; a body that is not one is the client's mistake (400), never a 500. */
    private static JsonNode body(Context ctx) {
        JsonNode body;
        try {
            body = JSON.readTree(ctx.bodyAsBytes());
        } catch (JsonProcessingException e) {
            throw new RegistryException(400, 400, "Malformed JSON request body: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new RegistryException(400, 400, "Unreadable request body: " + e.getMessage());
        }
        if (body == null || body.isMissingNode()) {
            throw new RegistryException(400, 400, "Malformed JSON request body: empty");
        }
        if (!body.isObject()) {
            throw new RegistryException(400, 400, "Malformed JSON request body: expected a JSON object, got "
                    + body.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        return body;
    }

    private static String subject(Context ctx) {
        return ctx.pathParam("subject");
    }

    private static int id(Context ctx) {
        String id = ctx.pathParam("id");
        try {
            return Integer.parseInt(id);
        } catch (NumberFormatException e) {
            throw new RegistryException(404, RegistryException.SCHEMA_NOT_FOUND, "Schema " + id + " not found");
        }
    }

    private static void checkContentType(Context ctx) {
        if (ctx.method() != HandlerType.POST && ctx.method() != HandlerType.PUT) {
            return;
        }
        String contentType = ctx.contentType();
        if (contentType == null || contentType.isBlank()) {
            return;
        }
        String mediaType = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (!ACCEPTED_CONTENT_TYPES.contains(mediaType)) {
            throw new RegistryException(415, 415, "Unsupported Content-Type '" + contentType + "'; expected one of "
                    + ACCEPTED_CONTENT_TYPES.stream().sorted().toList());
        }
    }

    private static void registryError(RegistryException e, Context ctx) {
        if (e.httpStatus() >= 500) {
            LOG.error("{} {} failed: {}", ctx.method(), ctx.path(), e.getMessage(), e.getCause());
        } else {
            LOG.debug("{} {} answered {} ({}): {}", ctx.method(), ctx.path(), e.httpStatus(), e.errorCode(),
                    e.getMessage());
        }
        error(ctx, e.httpStatus(), e.errorCode(), e.getMessage());
    }

    private static void error(Context ctx, int status, int errorCode, String message) {
        ctx.status(status);
        answer(ctx, new ErrorAnswer(errorCode, message));
    }

    private static void answer(Context ctx, Object value) {
        try {
            ctx.contentType(CONTENT_TYPE).result(JSON.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON of " + value.getClass().getSimpleName(), e);
        }
    }

    /** A schema's own text as the body, as Confluent's {@code .../schema} endpoints answer. */
    private static void raw(Context ctx, String schema) {
        ctx.contentType(CONTENT_TYPE).result(schema);
    }
}
