package io.pganalytics.api.fleet;

import io.javalin.http.Context;
import io.pganalytics.api.auth.Access;
import io.pganalytics.api.auth.Principal;
import io.pganalytics.api.auth.Role;
import io.pganalytics.api.http.ApiException;
import io.pganalytics.api.http.Params;
import io.pganalytics.api.http.StrictJson;
import io.pganalytics.api.routes.RouteTable;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.fleet.admin.Actor;
import io.pganalytics.fleet.admin.ControlPlane;
import io.pganalytics.fleet.admin.TargetSpec;
import io.pganalytics.schemas.fleet.CommandType;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The routes that read and change the fleet through the control plane ({@link ControlPlane}, the one write path it
 * shares with the command line). Every change is made with an {@link Actor} of the request's principal and honours
 * {@code Idempotency-Key} through {@link ControlPlane#idempotently}; passwords are never answered.
 */
final class FleetRoutes {

    static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private final ControlPlane fleet;

    FleetRoutes(ControlPlane fleet) {
        this.fleet = fleet;
    }

    void register(RouteTable table) {
        Access viewer = Access.atLeast(Role.VIEWER);
        Access user = Access.atLeast(Role.USER);
        Access admin = Access.atLeast(Role.ADMIN);
        table.post("/api/v1/collectors/register", Access.open(),
                        "a collector registers itself with a registration secret; answers its id and token (shown once)",
                        201, this::register)
                .get("/api/v1/collectors", viewer,
                        "the collectors, by cursor; ?search=&status=&group=&tag=&version=&sort=&limit=&cursor=", ctx -> list(ctx, false))
                .get("/api/v1/collectors/archived", viewer, "the unregistered (archived) collectors", ctx -> list(ctx, true))
                .get("/api/v1/collectors/{id}", viewer, "one collector", this::collector)
                .put("/api/v1/collectors/{id}", user, "replaces a collector's name, group, tags and labels", this::updateCollector)
                .delete("/api/v1/collectors/{id}", admin,
                        "unregisters a collector: archived, its token revoked, its targets released, its metrics kept", 200,
                        this::unregister)
                .post("/api/v1/collectors/{id}/re-register", admin,
                        "makes an archived or imported collector active again with a new token", 200, this::reRegister);
        for (String command : List.of("stop", "restart", "resume", "reconfigure")) {
            table.post("/api/v1/collectors/{id}/" + command, user, "sends " + command + " to a collector (202 with a command id)",
                    202, ctx -> command(ctx, command));
        }
        table.post("/api/v1/collectors/bulk-action", user, "one command for many collectors; a result per collector", 200,
                        this::bulkAction)
                .post("/api/v1/collectors/bulk-import", admin,
                        "imports collectors or targets (JSON rows or CSV): every row validated first, a per-row report, "
                                + "all or nothing; dryRun writes nothing", 200, this::bulkImport)
                .get("/api/v1/commands/{id}", viewer, "a command: pending, acknowledged, failed or timed_out", this::commandStatus)
                .post("/api/v1/registration-secrets", admin, "a registration secret (shown once)", 201, this::createSecret)
                .get("/api/v1/registration-secrets", admin, "the registration secrets (never the secrets themselves)",
                        ctx -> ctx.json(Map.of("items", fleet.registrationSecrets())))
                .delete("/api/v1/registration-secrets/{id}", admin, "revokes a registration secret", 204, this::revokeSecret)
                .post("/api/v1/groups", user, "creates a collector group", 201, this::createGroup)
                .get("/api/v1/groups", viewer, "the collector groups", ctx -> ctx.json(Map.of("items", fleet.groups())))
                .delete("/api/v1/groups/{name}", user, "deletes a group no collector or target uses", 204, this::deleteGroup)
                .get("/api/v1/tags", viewer, "the tags of the active collectors, with how many carry each",
                        ctx -> ctx.json(Map.of("items", fleet.tags())))
                .post("/api/v1/targets", user, "adds a target (409 when its id is taken)", 201, this::createTarget)
                .get("/api/v1/targets", viewer, "the targets; ?group=", this::listTargets)
                .get("/api/v1/targets/{id}", viewer, "one target (never its password)", this::target)
                .put("/api/v1/targets/{id}", user, "replaces a target; without a password it keeps the stored one",
                        this::replaceTarget)
                .delete("/api/v1/targets/{id}", user, "removes a target: its collector stops monitoring it", 204,
                        this::removeTarget)
                .post("/api/v1/targets/test-connection", user,
                        "tests an unsaved target: reachability, version, pg_stat_statements, missing monitoring roles", 200,
                        this::testUnsaved)
                .post("/api/v1/targets/{id}/test-connection", user, "tests a saved target with its stored password", 200,
                        this::testSaved)
                .post("/api/v1/alert-rules", user, "creates or replaces an alert rule by id", 201, this::putAlertRule)
                .get("/api/v1/alert-rules", viewer, "the alert rules", ctx -> ctx.json(Map.of("items",
                        fleet.alertRules().stream().map(FleetRoutes::rule).toList())))
                .get("/api/v1/alert-rules/{id}", viewer, "one alert rule", ctx -> {
                    String id = Params.id(ctx, "id");
                    ctx.json(rule(fleet.alertRule(id).orElseThrow(() -> ApiException.notFound("alert rule", id))));
                })
                .put("/api/v1/alert-rules/{id}", user, "replaces an alert rule", this::replaceAlertRule)
                .delete("/api/v1/alert-rules/{id}", user, "removes an alert rule", 204, this::removeAlertRule);
    }

    // ---- changes: every one through idempotently ----

    /**
     * Runs a change and answers {@code status} with its JSON result; with an {@code Idempotency-Key}, in one
     * transaction with the stored answer (a replay answers it again without running {@code work}).
     */
    private void change(Context ctx, int status, Supplier<Object> work) {
        String key = ctx.header("Idempotency-Key");
        Supplier<ControlPlane.StoredResponse> respond = () -> {
            Object result = work.get();
            return new ControlPlane.StoredResponse(status, "application/json",
                    result == null ? "" : StrictJson.MAPPER.valueToTree(result).toString());
        };
        ControlPlane.StoredResponse response;
        if (key == null) {
            response = respond.get();
        } else {
            String scope = ctx.attribute(RouteTable.PRINCIPAL) instanceof Principal principal ? principal.name()
                    : "anonymous:" + ctx.ip();
            response = fleet.idempotently(new ControlPlane.IdempotencyKey(scope, key, fingerprint(ctx)), respond);
        }
        ctx.status(response.status());
        if (!response.body().isEmpty()) {
            ctx.contentType(response.contentType()).result(response.body());
        }
    }

    static byte[] fingerprint(Context ctx) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(ctx.method().name().getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(ctx.path().getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(ctx.bodyAsBytes());
            return digest.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }

    static Actor actor(Context ctx) {
        return RouteTable.actor(ctx);
    }

    private void register(Context ctx) {
        Bodies.Register body = StrictJson.body(ctx, Bodies.Register.class, null);
        ControlPlane.RegistrationRequest request = new ControlPlane.RegistrationRequest(body.secret(), body.name(),
                body.hostname(), body.version(), body.group(), body.tags(), body.labels(), body.id());
        change(ctx, 201, () -> {
            ControlPlane.Registration registration = fleet.register(request, ctx.ip());
            return Map.of("collector", collector(registration.collector()), "token", registration.token());
        });
    }

    private void updateCollector(Context ctx) {
        String id = Params.id(ctx, "id");
        Bodies.CollectorPut body = StrictJson.body(ctx, Bodies.CollectorPut.class, null);
        ControlPlane.CollectorUpdate update = new ControlPlane.CollectorUpdate(body.name(), body.group(), body.tags(),
                body.labels());
        change(ctx, 200, () -> collector(fleet.updateCollector(actor(ctx), id, update)));
    }

    private void unregister(Context ctx) {
        String id = Params.id(ctx, "id");
        change(ctx, 200, () -> collector(fleet.unregister(actor(ctx), id)));
    }

    private void reRegister(Context ctx) {
        String id = Params.id(ctx, "id");
        StrictJson.body(ctx, Map.class, Map.of());
        change(ctx, 200, () -> {
            ControlPlane.Registration registration = fleet.reRegister(actor(ctx), id);
            return Map.of("collector", collector(registration.collector()), "token", registration.token());
        });
    }

    private void command(Context ctx, String name) {
        String id = Params.id(ctx, "id");
        Bodies.CommandOptions options = StrictJson.body(ctx, Bodies.CommandOptions.class, new Bodies.CommandOptions(null));
        Duration timeout = timeout(options.timeoutSeconds());
        CommandType type = FleetVocabulary.command(name);
        change(ctx, 202, () -> {
            ControlPlane.Command command = fleet.issueCommand(actor(ctx), id, type, timeout);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("commandId", command.id());
            body.put("status", command.status());
            body.put("location", "/api/v1/commands/" + command.id());
            return body;
        });
    }

    private void bulkAction(Context ctx) {
        Bodies.BulkAction body = StrictJson.body(ctx, Bodies.BulkAction.class, null);
        List<InvalidValue.Problem> problems = new ArrayList<>();
        if (body.collectorIds() == null || body.collectorIds().isEmpty() || body.collectorIds().size() > 1000) {
            problems.add(new InvalidValue.Problem("collectorIds", "expected 1 to 1000 collector ids"));
        } else {
            for (int i = 0; i < body.collectorIds().size(); i++) {
                String id = body.collectorIds().get(i);
                if (id == null || !Params.ID.matcher(id).matches()) {
                    problems.add(new InvalidValue.Problem("collectorIds[" + i + "]", "expected 1-128 of A-Z a-z 0-9 . _ -"));
                }
            }
        }
        if (body.command() == null || !List.of("stop", "restart", "resume", "reconfigure").contains(body.command())) {
            problems.add(new InvalidValue.Problem("command", "expected stop, restart, resume or reconfigure"));
        }
        InvalidValue.throwIfAny(problems);
        Duration timeout = timeout(body.timeoutSeconds());
        CommandType type = FleetVocabulary.command(body.command());
        change(ctx, 200, () -> Map.of("results", fleet.bulkCommand(actor(ctx), body.collectorIds(), type, timeout)));
    }

    private static Duration timeout(Integer seconds) {
        if (seconds == null) {
            return DEFAULT_COMMAND_TIMEOUT;
        }
        if (seconds < 1 || seconds > 3600) {
            throw new InvalidValue("timeoutSeconds", "expected 1 to 3600, got " + seconds);
        }
        return Duration.ofSeconds(seconds);
    }

    private void createSecret(Context ctx) {
        Bodies.SecretSpec body = StrictJson.body(ctx, Bodies.SecretSpec.class, new Bodies.SecretSpec(null, null, null, null));
        if (body.validForSeconds() != null && (body.validForSeconds() < 1 || body.validForSeconds() > 365L * 86_400)) {
            throw new InvalidValue("validForSeconds", "expected 1 second to 365 days, got " + body.validForSeconds());
        }
        if (body.maxUses() != null && body.maxUses() < 1) {
            throw new InvalidValue("maxUses", "expected 1 to 10000, got " + body.maxUses());
        }
        ControlPlane.RegistrationSecretSpec spec = new ControlPlane.RegistrationSecretSpec(body.description(), body.group(),
                body.validForSeconds() == null ? null : Duration.ofSeconds(body.validForSeconds()),
                body.maxUses() == null ? 0 : body.maxUses());
        change(ctx, 201, () -> {
            ControlPlane.IssuedSecret issued = fleet.createRegistrationSecret(actor(ctx), spec);
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("secret", issued.secret());
            answer.put("info", issued.info());
            return answer;
        });
    }

    private void revokeSecret(Context ctx) {
        String id = Params.id(ctx, "id");
        change(ctx, 204, () -> {
            fleet.revokeRegistrationSecret(actor(ctx), id);
            return null;
        });
    }

    private void createGroup(Context ctx) {
        Bodies.GroupSpec body = StrictJson.body(ctx, Bodies.GroupSpec.class, null);
        ControlPlane.GroupSpec spec = new ControlPlane.GroupSpec(body.name(), body.description());
        change(ctx, 201, () -> fleet.createGroup(actor(ctx), spec));
    }

    private void deleteGroup(Context ctx) {
        String name = Params.id(ctx, "name");
        change(ctx, 204, () -> {
            fleet.deleteGroup(actor(ctx), name);
            return null;
        });
    }

    private static TargetSpec targetSpec(Bodies.Target body, String pathId) {
        if (pathId != null && body.id() != null && !pathId.equals(body.id())) {
            throw new InvalidValue("id", "differs from the id in the path ('" + pathId + "')");
        }
        String id = pathId != null ? pathId : body.id();
        if (id == null) {
            throw new InvalidValue("id", "required");
        }
        return new TargetSpec(id, body.url(), body.user(), body.password(), body.preset(), body.familyIntervalMillis(),
                body.databases(), body.enabled() == null || body.enabled(), body.group());
    }

    private void createTarget(Context ctx) {
        TargetSpec spec = targetSpec(StrictJson.body(ctx, Bodies.Target.class, null), null);
        change(ctx, 201, () -> fleet.createTarget(actor(ctx), spec));
    }

    private void replaceTarget(Context ctx) {
        String id = Params.id(ctx, "id");
        TargetSpec spec = targetSpec(StrictJson.body(ctx, Bodies.Target.class, null), id);
        change(ctx, 200, () -> fleet.replaceTarget(actor(ctx), spec, true));
    }

    private void removeTarget(Context ctx) {
        String id = Params.id(ctx, "id");
        change(ctx, 204, () -> {
            if (fleet.target(id).isEmpty()) {
                throw new ControlPlane.NotFound("target", id);
            }
            fleet.removeTarget(actor(ctx), id);
            return null;
        });
    }

    private void listTargets(Context ctx) {
        String group = ctx.queryParam("group") == null ? null : checkedId("group", ctx.queryParam("group"));
        ctx.json(Map.of("items", fleet.targets(group)));
    }

    private void target(Context ctx) {
        String id = Params.id(ctx, "id");
        ctx.json(fleet.target(id).orElseThrow(() -> ApiException.notFound("target", id)));
    }

    private void testUnsaved(Context ctx) {
        Bodies.TestConnection body = StrictJson.body(ctx, Bodies.TestConnection.class, null);
        TargetSpec spec = targetSpec(body.target(), null);
        ctx.json(fleet.testConnection(spec, testTimeout(body.timeoutSeconds())));
    }

    private void testSaved(Context ctx) {
        String id = Params.id(ctx, "id");
        Bodies.TestOptions options = StrictJson.body(ctx, Bodies.TestOptions.class, new Bodies.TestOptions(null));
        Duration timeout = testTimeout(options.timeoutSeconds());
        if (fleet.target(id).isEmpty()) {
            throw new ControlPlane.NotFound("target", id);
        }
        ctx.json(fleet.testConnection(id, timeout));
    }

    private static Duration testTimeout(Integer seconds) {
        if (seconds == null) {
            return Duration.ofSeconds(10);
        }
        if (seconds < 1 || seconds > 60) {
            throw new InvalidValue("timeoutSeconds", "expected 1 to 60, got " + seconds);
        }
        return Duration.ofSeconds(seconds);
    }

    private void bulkImport(Context ctx) {
        Bodies.BulkImport body = StrictJson.body(ctx, Bodies.BulkImport.class, null);
        if (body.rows() != null && body.csv() != null) {
            throw new InvalidValue("csv", "give rows or csv, not both");
        }
        List<Map<String, Object>> rows = body.csv() != null ? CsvRows.parse(body.csv()) : body.rows();
        ControlPlane.ImportBatch batch = new ControlPlane.ImportBatch(body.kind(), rows,
                body.dryRun() != null && body.dryRun());
        change(ctx, 200, () -> fleet.bulkImport(actor(ctx), batch));
    }

    private static ControlPlane.AlertRuleSpec ruleSpec(Bodies.AlertRule body, String pathId) {
        if (pathId != null && body.id() != null && !pathId.equals(body.id())) {
            throw new InvalidValue("id", "differs from the id in the path ('" + pathId + "')");
        }
        return new ControlPlane.AlertRuleSpec(pathId != null ? pathId : body.id(), body.family(), body.field(), body.kind(),
                body.operator(), body.threshold(), body.durationSeconds() == null ? 0 : body.durationSeconds(),
                body.windowSamples() == null ? 0 : body.windowSamples(), body.collectorId(), body.targetId(),
                body.description());
    }

    private void putAlertRule(Context ctx) {
        ControlPlane.AlertRuleSpec spec = ruleSpec(StrictJson.body(ctx, Bodies.AlertRule.class, null), null);
        change(ctx, 201, () -> rule(fleet.putAlertRule(actor(ctx), spec)));
    }

    private void replaceAlertRule(Context ctx) {
        String id = Params.id(ctx, "id");
        ControlPlane.AlertRuleSpec spec = ruleSpec(StrictJson.body(ctx, Bodies.AlertRule.class, null), id);
        change(ctx, 200, () -> rule(fleet.putAlertRule(actor(ctx), spec)));
    }

    private void removeAlertRule(Context ctx) {
        String id = Params.id(ctx, "id");
        change(ctx, 204, () -> {
            if (fleet.alertRule(id).isEmpty()) {
                throw new ControlPlane.NotFound("alert rule", id);
            }
            fleet.removeAlertRule(actor(ctx), id);
            return null;
        });
    }

    // ---- reads ----

    private void list(Context ctx, boolean archived) {
        String group = ctx.queryParam("group") == null ? null : checkedId("group", ctx.queryParam("group"));
        ControlPlane.CollectorQuery query = new ControlPlane.CollectorQuery(Params.text(ctx, "cursor", 1000),
                Params.integer(ctx, "limit", 1, 200, 50), Params.text(ctx, "search", 200), Params.text(ctx, "status", 20),
                group, Params.text(ctx, "tag", 100), Params.text(ctx, "version", 64), Params.text(ctx, "sort", 40),
                archived);
        ControlPlane.CollectorPage page = fleet.listCollectors(query);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", page.items()); // the records as they are: what collector(…) makes of one, without the copy
        body.put("nextCursor", page.nextCursor());
        ctx.json(body);
    }

    private void collector(Context ctx) {
        String id = Params.id(ctx, "id");
        ctx.json(collector(fleet.collector(id).orElseThrow(() -> ApiException.notFound("collector", id))));
    }

    private void commandStatus(Context ctx) {
        String id = Params.id(ctx, "id");
        // the record's components are the answer's fields; times as ISO-8601
        ctx.json(fleet.command(id).orElseThrow(() -> ApiException.notFound("command", id)));
    }

    /** A collector's JSON: its record's components, times as ISO-8601. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> collector(ControlPlane.Collector collector) {
        return StrictJson.MAPPER.convertValue(collector, Map.class);
    }

    static Map<String, Object> rule(ControlPlane.AlertRuleView view) {
        Map<String, Object> body = new LinkedHashMap<>(StrictJson.MAPPER.convertValue(view.rule(), Map.class));
        body.put("updatedAt", time(view.updatedAt()));
        return body;
    }

    private static String time(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    private static String checkedId(String name, String value) {
        if (!Params.ID.matcher(value).matches()) {
            throw new InvalidValue(name, "expected 1-128 of A-Z a-z 0-9 . _ -");
        }
        return value;
    }
}
