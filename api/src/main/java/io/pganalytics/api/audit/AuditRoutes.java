package io.pganalytics.api.audit;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.pganalytics.api.auth.Access;
import io.pganalytics.api.auth.Role;
import io.pganalytics.api.http.ApiException;
import io.pganalytics.api.http.Params;
import io.pganalytics.api.http.StrictJson;
import io.pganalytics.api.routes.RouteTable;
import io.pganalytics.fleet.admin.AuditTrail;
import io.pganalytics.schemas.audit.AuditChain;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The audit trail's routes, for auditors and admins only: entries with filters and reports, verification of the
 * chain, and exports (a time range, or every entry about one user). Reading the trail is itself recorded: an export
 * and a verification are entries of their own.
 */
public final class AuditRoutes {

    private static final Access AUDITORS = Access.atLeast(Role.AUDITOR);

    private final AuditTrail trail;
    private final PublicKey publicKey;

    /** @param publicKey the pinned checkpoint key; null verifies links and vouched hashes without signatures */
    public AuditRoutes(AuditTrail trail, PublicKey publicKey) {
        this.trail = trail;
        this.publicKey = publicKey;
    }

    public void register(RouteTable table) {
        table.get("/api/v1/audit", AUDITORS, "audit entries, newest first: filters actor, action, resourceType, resourceId,"
                        + " subject, report, from, to; cursor pagination", this::list)
                .get("/api/v1/audit/verify", AUDITORS, "recomputes the hash chain and checks the signed checkpoints: the first"
                        + " bad seq and why", this::verify)
                .post("/api/v1/audit/export", AUDITORS, "every entry of a time range, or about one user (a data-subject export),"
                        + " as CSV or JSON", 200, this::export);
    }

    private void list(Context ctx) {
        AuditTrail.Query query = query(ctx, Params.integer(ctx, "limit", 1, AuditTrail.MAX_PAGE, 100));
        AuditTrail.Page page = trail.entries(query);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("items", page.items().stream().map(AuditRoutes::view).toList());
        answer.put("next", page.next() == null ? null : Long.toString(page.next()));
        ctx.json(answer);
    }

    private void verify(Context ctx) {
        AuditChain.Verification result = AuditChain.verify(trail.chain(), trail.checkpoints(), publicKey);
        trail.record(RouteTable.actor(ctx), "audit.verify", "audit_log", null, null);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("intact", result.intact());
        answer.put("entries", result.entries());
        answer.put("headHash", result.entries() == 0 ? null : result.headHash());
        answer.put("checkpoints", result.checkpoints());
        answer.put("signaturesChecked", result.signaturesChecked());
        answer.put("problem", result.problem().map(p -> Map.of("seq", p.seq(), "reason", p.reason())).orElse(null));
        ctx.json(answer);
    }

    /** Body: {@code {"format": "csv"|"json", "from": ..., "to": ..., "subject": "alice"}}; from/to or subject required. */
    private void export(Context ctx) {
        Export body = StrictJson.body(ctx, Export.class, null);
        String format = body.format() == null ? "json" : body.format();
        if (!format.equals("json") && !format.equals("csv")) {
            throw ApiException.badRequest("invalid_value", "format: expected csv or json");
        }
        if (body.subject() == null && (body.from() == null || body.to() == null)) {
            throw ApiException.badRequest("invalid_value", "from and to (ISO-8601 instants), or subject (a user name), are required");
        }
        Instant from = instant("from", body.from());
        Instant to = instant("to", body.to());
        if (body.subject() != null && !io.pganalytics.fleet.admin.Accounts.NAME.matcher(body.subject()).matches()) {
            throw ApiException.badRequest("invalid_value", "subject: expected a user name");
        }
        AuditTrail.Query query = new AuditTrail.Query(null, null, null, null, body.subject(), null, from, to, null, 1);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("format", format);
        details.put("from", body.from());
        details.put("to", body.to());
        details.put("subject", body.subject());
        // Recorded before it is answered: an export that fails half-way was still asked for.
        trail.record(RouteTable.actor(ctx), "audit.export", "audit_log", body.subject(), StrictJson.MAPPER.valueToTree(details).toString());
        String name = "audit-" + (body.subject() != null ? body.subject() : from.toString().replace(':', '-')) + "." + format;
        ctx.contentType(format.equals("csv") ? "text/csv; charset=utf-8" : "application/json")
                .header("Content-Disposition", "attachment; filename=\"" + name + "\"");
        try (OutputStream out = ctx.outputStream()) {
            if (format.equals("csv")) {
                out.write("seq,occurred_at,actor,action,resource_type,resource_id,out_of_band,hash,event\n".getBytes(StandardCharsets.UTF_8));
                trail.forEach(query, e -> write(out, String.join(",", Long.toString(e.seq()), e.occurredAt().toString(), csv(e.actor()),
                        csv(e.action()), csv(e.resourceType()), csv(e.resourceId()), Boolean.toString(e.outOfBand()), e.hash(),
                        csv(e.event())) + "\n"));
            } else {
                out.write("[".getBytes(StandardCharsets.UTF_8));
                boolean[] first = {true};
                trail.forEach(query, e -> {
                    write(out, (first[0] ? "\n" : ",\n") + StrictJson.MAPPER.valueToTree(view(e)));
                    first[0] = false;
                });
                out.write("\n]\n".getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static AuditTrail.Query query(Context ctx, int limit) {
        String cursor = Params.text(ctx, "cursor", 20);
        Long before;
        try {
            before = cursor == null ? null : Long.parseLong(cursor);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid_value", "cursor: expected the next value of a previous page");
        }
        String report = Params.text(ctx, "report", 40);
        return new AuditTrail.Query(Params.text(ctx, "actor", 160), Params.text(ctx, "action", 80), Params.text(ctx, "resourceType", 80),
                Params.text(ctx, "resourceId", 160), Params.text(ctx, "subject", 64), report == null ? null : AuditTrail.Report.of(report),
                Params.instant(ctx, "from"), Params.instant(ctx, "to"), before, limit);
    }

    private static Map<String, Object> view(AuditTrail.Entry e) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("seq", e.seq());
        view.put("occurredAt", e.occurredAt());
        view.put("actor", e.actor());
        view.put("action", e.action());
        view.put("resourceType", e.resourceType());
        view.put("resourceId", e.resourceId());
        view.put("outOfBand", e.outOfBand());
        view.put("hash", e.hash());
        view.put("prevHash", e.prevHash());
        view.put("event", parsed(e.event()));
        return view;
    }

    private static JsonNode parsed(String json) {
        try {
            return StrictJson.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Instant instant(String name, String value) {
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (java.time.format.DateTimeParseException e) {
            throw ApiException.badRequest("invalid_value", name + ": expected an ISO-8601 instant, e.g. 2026-01-31T12:00:00Z");
        }
    }

    /** RFC 4180: quoted when it holds a comma, a quote or a line break; a leading =, +, - or @ defused for spreadsheets. */
    private static String csv(String value) {
        if (value == null) {
            return "";
        }
        String v = !value.isEmpty() && "=+-@".indexOf(value.charAt(0)) >= 0 ? "'" + value : value;
        return v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r") ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
    }

    private static void write(OutputStream out, String text) {
        try {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The body of an export. */
    public record Export(String format, String from, String to, String subject) {
    }
}
