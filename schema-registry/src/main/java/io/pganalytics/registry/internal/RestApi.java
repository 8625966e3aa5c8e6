package io.pganalytics.registry.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Confluent Schema Registry's REST API over {@link Registry}: its paths, bodies, media types and error shape
 * ({@code {"error_code": N, "message": "..."}}), on Javalin. Writes reach the leader: served here when this
 * instance leads, else forwarded to it over HTTP, as Confluent's registry does.
 */
public final class RestApi {

    private static final Logger LOG = LoggerFactory.getLogger(RestApi.class);

    /** What answers are unless the request's Accept asks for another of {@link #RESPONSE_TYPES}. */
    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    /** The media types answers may take, in Confluent's order of preference. */
    public static final List<String> RESPONSE_TYPES = List.of(CONTENT_TYPE, "application/vnd.schemaregistry+json",
            "application/json");
    /** What a request body may be declared as (a missing Content-Type is accepted too), as Confluent accepts. */
    public static final Set<String> ACCEPTED_CONTENT_TYPES = Set.of(
            "application/vnd.schemaregistry.v1+json",
            "application/vnd.schemaregistry+json",
            "application/json",
            "application/octet-stream");
    /** Marks a request one instance forwarded to the leader, so that it is never forwarded twice. */
    static final String FORWARDED_HEADER = "X-Pganalytics-Registry-Forwarded";
    /** The topic offset a write reached, so the forwarding instance can wait to have read it. */
    static final String OFFSET_HEADER = "X-Pganalytics-Registry-Offset";
    /** Marks the answer to a forwarded write that this instance did not make: the forwarder sends it elsewhere. */
    static final String RETRY_HEADER = "X-Pganalytics-Registry-Retry";
    /**
     * How long a write may look for a leader to make it, across leader changes: about a Confluent client's own
     * timeout, and longer than an election after a leader stops (a rejoin, under a second, plus catching up).
     */
    static final Duration WRITE_DEADLINE = Duration.ofSeconds(30);
    private static final long MAX_BACKOFF_MILLIS = 500;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Registry registry;
    private final Leadership leadership;
    private final Forwarder forwarder;

    private RestApi(Registry registry, Leadership leadership, Forwarder forwarder) {
        this.registry = registry;
        this.leadership = leadership;
        this.forwarder = forwarder;
    }

    record Id(int id) {
    }

    // Field order as Confluent's answers have it; schemaType and references only when not AVRO / not empty.
    record VersionedSchema(String subject, int version, int id,
                           @JsonInclude(JsonInclude.Include.NON_NULL) String schemaType,
                           @JsonInclude(JsonInclude.Include.NON_EMPTY) List<SchemaReference> references,
                           String schema) {
        static VersionedSchema of(SchemaValue value) {
            return new VersionedSchema(value.subject(), value.version(), value.id(),
                    value.isAvro() ? null : value.schemaType(), value.references(), value.schema());
        }
    }

    record SchemaText(@JsonInclude(JsonInclude.Include.NON_NULL) String schemaType, String schema,
                      @JsonInclude(JsonInclude.Include.NON_EMPTY) List<SchemaReference> references) {
    }

    record SubjectVersion(String subject, int version) {
    }

    record Compatibility(String compatibility) {
    }

    record CompatibilityLevelAnswer(String compatibilityLevel) {
    }

    record ModeAnswer(String mode) {
    }

    record CompatibilityAnswer(@JsonProperty("is_compatible") boolean isCompatible,
                               @JsonInclude(JsonInclude.Include.NON_NULL) List<String> messages) {
    }

    record ErrorAnswer(@JsonProperty("error_code") int errorCode, String message) {
    }

    /** Declares the routes for a single instance that always writes (unit tests). */
    public static void configure(JavalinConfig config, Registry registry) {
        configure(config, registry, null, null, null);
    }

    /**
     * Declares the routes, the content-type check, authentication and the error mapping on a Javalin configuration.
     *
     * @param leadership    who writes; null for a single instance that always does
     * @param forwarder     how writes reach the leader when this instance does not lead
     * @param authenticator basic authentication, or null for none
     */
    public static void configure(JavalinConfig config, Registry registry, Leadership leadership, Forwarder forwarder,
                                 Authenticator authenticator) {
        RestApi api = new RestApi(registry, leadership, forwarder);
        // Unknown methods on known paths answer 405 as in Confluent's registry, not 404.
        config.http.prefer405over404 = true;
        config.http.defaultContentType = CONTENT_TYPE;

        if (authenticator != null) {
            config.routes.before(ctx -> authenticate(ctx, authenticator));
        }
        config.routes.beforeMatched(RestApi::checkContentType);

        config.routes.get("/", ctx -> answer(ctx, Map.of()));
        config.routes.get("/schemas/types", ctx -> answer(ctx, List.of(SchemaValue.AVRO)));
        config.routes.get("/schemas/ids/{id}", api::schemaById);
        config.routes.get("/schemas/ids/{id}/schema", ctx -> raw(ctx, registry.schemaById(id(ctx)).schema()));
        config.routes.get("/schemas/ids/{id}/subjects", ctx -> answer(ctx,
                registry.versionsWithId(id(ctx), flag(ctx, "deleted")).stream()
                        .map(SchemaValue::subject).distinct().toList()));
        config.routes.get("/schemas/ids/{id}/versions", ctx -> answer(ctx,
                registry.versionsWithId(id(ctx), flag(ctx, "deleted")).stream()
                        .map(value -> new SubjectVersion(value.subject(), value.version())).toList()));
        config.routes.get("/subjects", ctx -> answer(ctx, registry.subjects(ctx.queryParam("subjectPrefix"),
                flag(ctx, "deleted"), flag(ctx, "deletedOnly"))));
        config.routes.post("/subjects/{subject}", api::lookup);
        config.routes.delete("/subjects/{subject}", api.write(ONCE, ctx -> answer(ctx,
                registry.deleteSubject(subject(ctx), flag(ctx, "permanent")))));
        config.routes.get("/subjects/{subject}/versions", ctx -> answer(ctx,
                registry.versions(subject(ctx), flag(ctx, "deleted"), flag(ctx, "deletedOnly"))));
        config.routes.post("/subjects/{subject}/versions", api.write(REPEATABLE, api::register));
        config.routes.get("/subjects/{subject}/versions/{version}", ctx -> answer(ctx, VersionedSchema.of(
                registry.version(subject(ctx), ctx.pathParam("version"), flag(ctx, "deleted")))));
        config.routes.delete("/subjects/{subject}/versions/{version}", api.write(ONCE, ctx -> answer(ctx,
                registry.deleteVersion(subject(ctx), ctx.pathParam("version"), flag(ctx, "permanent")))));
        config.routes.get("/subjects/{subject}/versions/{version}/schema", ctx -> raw(ctx,
                registry.version(subject(ctx), ctx.pathParam("version"), flag(ctx, "deleted")).schema()));
        config.routes.get("/subjects/{subject}/versions/{version}/referencedby", ctx -> answer(ctx,
                registry.referencedBy(subject(ctx), ctx.pathParam("version"))));

        config.routes.post("/compatibility/subjects/{subject}/versions/{version}", ctx ->
                api.compatibility(ctx, ctx.pathParam("version")));
        config.routes.post("/compatibility/subjects/{subject}/versions", ctx -> api.compatibility(ctx, null));

        config.routes.get("/config", ctx -> answer(ctx,
                new CompatibilityLevelAnswer(registry.globalLevel().name())));
        config.routes.put("/config", api.write(REPEATABLE, ctx -> answer(ctx,
                new Compatibility(registry.setGlobalLevel(requestedLevel(ctx)).name()))));
        config.routes.delete("/config", api.write(ONCE, ctx -> answer(ctx,
                new CompatibilityLevelAnswer(registry.deleteGlobalLevel().name()))));
        config.routes.get("/config/{subject}", ctx -> answer(ctx, new CompatibilityLevelAnswer(
                registry.subjectLevel(subject(ctx), flag(ctx, "defaultToGlobal")).name())));
        config.routes.put("/config/{subject}", api.write(REPEATABLE, ctx -> answer(ctx,
                new Compatibility(registry.setSubjectLevel(subject(ctx), requestedLevel(ctx)).name()))));
        config.routes.delete("/config/{subject}", api.write(ONCE, ctx -> answer(ctx,
                new CompatibilityLevelAnswer(registry.deleteSubjectLevel(subject(ctx)).name()))));

        config.routes.get("/mode", ctx -> answer(ctx, new ModeAnswer(registry.globalMode().name())));
        config.routes.put("/mode", api.write(REPEATABLE, ctx -> answer(ctx,
                new ModeAnswer(registry.setMode(null, requestedMode(ctx), flag(ctx, "force")).name()))));
        config.routes.get("/mode/{subject}", ctx -> answer(ctx, new ModeAnswer(
                registry.subjectMode(subject(ctx), flag(ctx, "defaultToGlobal")).name())));
        config.routes.put("/mode/{subject}", api.write(REPEATABLE, ctx -> answer(ctx, new ModeAnswer(
                registry.setMode(subject(ctx), requestedMode(ctx), flag(ctx, "force")).name()))));
        config.routes.delete("/mode/{subject}", api.write(ONCE, ctx -> answer(ctx,
                new ModeAnswer(registry.deleteSubjectMode(subject(ctx)).name()))));

        config.routes.exception(RegistryException.class, RestApi::registryError);
        config.routes.exception(SchemasTopic.NotLeaderException.class, (e, ctx) -> registryError(
                new RegistryException(500, RegistryException.UNKNOWN_LEADER, e.getMessage(), e), ctx));
        // Javalin's own answers (no such route, wrong method, body too large) in the same error shape.
        config.routes.exception(HttpResponseException.class, (e, ctx) ->
                error(ctx, e.getStatus(), e.getStatus(), "HTTP " + e.getStatus() + " " + e.getMessage()));
        config.routes.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, 500, 500, "Internal server error: " + e.getClass().getSimpleName());
        });
    }

    /** Whether a write may be sent to the leader again when an attempt got no answer. */
    private static final boolean REPEATABLE = true;
    private static final boolean ONCE = false;

    /**
     * A write: made here when this instance leads (answering the offset it reached), else forwarded to the leader,
     * whose answer is relayed once this instance has read the leader's write, so that a client reading here next
     * sees it.
     *
     * <p>Across a leader change the write is tried again, with whichever instance leads by then, until
     * {@link #WRITE_DEADLINE}: when it certainly was not made (this instance lost the leadership before writing,
     * the leader could not be reached, or the instance it reached does not lead), or when making it twice is the same
     * as making it once ({@code repeatable}: a registration gets the same id, a level or mode the same value). A
     * delete whose forward got no answer is not repeated: it is answered 50003, saying it may have been applied.
     * A forwarded request is never forwarded again: an instance that does not lead tells the forwarder to retry.
     */
    private Handler write(boolean repeatable, Handler handler) {
        return ctx -> {
            if (leadership == null) {
                handler.handle(ctx);
                return;
            }
            boolean forwarded = ctx.header(FORWARDED_HEADER) != null;
            long deadline = System.nanoTime() + WRITE_DEADLINE.toNanos();
            String reason = "no leader was elected";
            for (int attempt = 0; ; attempt++) {
                if (leadership.isLeader()) {
                    try {
                        handler.handle(ctx);
                        ctx.header(OFFSET_HEADER, Long.toString(leadership.appliedOffset()));
                        return;
                    } catch (SchemasTopic.NotLeaderException e) {
                        // Lost the leadership before writing anything: the write goes to the next leader.
                        reason = e.getMessage();
                    }
                }
                if (forwarded) {
                    ctx.header(RETRY_HEADER, "true");
                    throw new RegistryException(500, RegistryException.REQUEST_FORWARDING_FAILED,
                            "Error while forwarding the request: the instance it was forwarded to is not the leader");
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    throw new RegistryException(500, RegistryException.REQUEST_FORWARDING_FAILED,
                            "Error while forwarding the request to the leader within " + WRITE_DEADLINE.toSeconds()
                                    + " s: " + reason);
                }
                Optional<String> leader = leadership.awaitLeader(Duration.ofNanos(remaining));
                if (leader.isEmpty()) {
                    throw new RegistryException(500, RegistryException.UNKNOWN_LEADER,
                            "Request failed since the leader is unknown");
                }
                if (leadership.isLeader()) {
                    continue;
                }
                Forwarder.Outcome outcome = forwarder.forward(leader.get(), ctx, repeatable,
                        Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                if (outcome instanceof Forwarder.Answer answer) {
                    if (answer.offset() >= 0) {
                        leadership.awaitApplied(answer.offset());
                    }
                    ctx.status(answer.status());
                    if (answer.contentType() != null) {
                        ctx.contentType(answer.contentType());
                    }
                    ctx.result(answer.body());
                    return;
                }
                reason = ((Forwarder.Retry) outcome).reason();
                LOG.debug("{} {}: retrying after attempt {}: {}", ctx.method(), ctx.path(), attempt + 1, reason);
                pause(Math.min(MAX_BACKOFF_MILLIS, 20L << Math.min(attempt, 5)), deadline);
            }
        };
    }

    /** Waits between attempts, while the group elects a new leader; never past the deadline. */
    private static void pause(long millis, long deadlineNanos) {
        long sleep = Math.min(millis, Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())));
        try {
            Thread.sleep(sleep);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(500, RegistryException.REQUEST_FORWARDING_FAILED,
                    "Interrupted while waiting for a leader", e);
        }
    }

    private void register(Context ctx) {
        String subject = subject(ctx);
        Registry.SchemaRequest request = schemaRequest(body(ctx));
        answer(ctx, new Id(registry.register(subject, request, flag(ctx, "normalize")).id()));
    }

    private void lookup(Context ctx) {
        String subject = subject(ctx);
        Registry.SchemaRequest request = schemaRequest(body(ctx));
        answer(ctx, VersionedSchema.of(registry.lookup(subject, request, flag(ctx, "deleted"))));
    }

    private void compatibility(Context ctx, String version) {
        Registry.SchemaRequest request = schemaRequest(body(ctx));
        Registry.CompatibilityResult result = registry.testCompatibility(subject(ctx), version, request);
        answer(ctx, new CompatibilityAnswer(result.compatible(),
                flag(ctx, "verbose") ? result.messages() : null));
    }

    private void schemaById(Context ctx) {
        SchemaValue value = registry.schemaById(id(ctx));
        answer(ctx, new SchemaText(value.isAvro() ? null : value.schemaType(), value.schema(), value.references()));
    }

    /**
     * The schema of a register, lookup or compatibility body, {@code {"schema": "...", "schemaType"?: "AVRO",
     * "references"?: [...], "id"?: n, "version"?: n}}; anything this registry cannot honour is refused.
     */
    private static Registry.SchemaRequest schemaRequest(JsonNode body) {
        JsonNode schemaType = body.get("schemaType");
        if (schemaType != null && !schemaType.isNull()
                && !SchemaValue.AVRO.equalsIgnoreCase(schemaType.asText())) {
            throw RegistryException.invalidSchema("Invalid schema type " + schemaType.asText() + "; this registry"
                    + " supports [\"" + SchemaValue.AVRO + "\"]");
        }
        JsonNode schema = body.get("schema");
        if (schema == null || !schema.isTextual() || schema.asText().isBlank()) {
            throw RegistryException.invalidSchema("\"schema\" is required and must be a string holding the schema");
        }
        List<SchemaReference> references = new ArrayList<>();
        JsonNode referenceNodes = body.get("references");
        if (referenceNodes != null && !referenceNodes.isNull()) {
            if (!referenceNodes.isArray()) {
                throw RegistryException.invalidSchema("\"references\" must be an array");
            }
            for (JsonNode reference : referenceNodes) {
                JsonNode name = reference.get("name");
                JsonNode subject = reference.get("subject");
                JsonNode version = reference.get("version");
                if (name == null || !name.isTextual() || subject == null || !subject.isTextual()
                        || version == null || !version.canConvertToInt()) {
                    throw RegistryException.invalidSchema("each reference needs a \"name\", a \"subject\" and a"
                            + " \"version\", got " + reference);
                }
                references.add(new SchemaReference(name.asText(), subject.asText(), version.intValue()));
            }
        }
        return new Registry.SchemaRequest(schema.asText(), references, optionalInt(body, "id"),
                optionalInt(body, "version"));
    }

    private static Integer optionalInt(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.canConvertToInt()) {
            throw RegistryException.invalidSchema("\"" + field + "\" must be an integer, got " + value);
        }
        return value.intValue();
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

    private static String requestedMode(Context ctx) {
        JsonNode mode = body(ctx).get("mode");
        if (mode == null || !mode.isTextual()) {
            throw new RegistryException(422, RegistryException.INVALID_MODE, "Invalid mode '"
                    + (mode == null ? "" : mode.toString()) + "'. Valid values are READWRITE, READONLY, "
                    + "READONLY_OVERRIDE and IMPORT");
        }
        return mode.asText();
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

    private static boolean flag(Context ctx, String name) {
        return "true".equalsIgnoreCase(ctx.queryParam(name));
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

    private static void authenticate(Context ctx, Authenticator authenticator) {
        if (authenticator.authenticate(ctx.header("Authorization")).isEmpty()) {
            ctx.header("WWW-Authenticate", "Basic realm=\"SchemaRegistry\"");
            throw new RegistryException(401, 401, "Unauthorized");
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
        // A forwarded write that this instance does not make is expected during a leader change: the forwarder
        // sends it on, so it is no error here.
        if (e.httpStatus() >= 500 && ctx.res().getHeader(RETRY_HEADER) == null) {
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
            ctx.contentType(responseType(ctx)).result(JSON.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON of " + value.getClass().getSimpleName(), e);
        }
    }

    /** The first of Confluent's media types the client's Accept names; the v1 type for anything else. */
    private static String responseType(Context ctx) {
        String accept = ctx.header("Accept");
        if (accept == null) {
            return CONTENT_TYPE;
        }
        String lower = accept.toLowerCase(Locale.ROOT);
        for (String type : RESPONSE_TYPES) {
            for (String part : lower.split(",")) {
                if (part.split(";", 2)[0].strip().equals(type)) {
                    return type;
                }
            }
        }
        return CONTENT_TYPE;
    }

    /** A schema's own text as the body, as Confluent's {@code .../schema} endpoints answer. */
    private static void raw(Context ctx, String schema) {
        ctx.contentType(responseType(ctx)).result(schema);
    }
}
