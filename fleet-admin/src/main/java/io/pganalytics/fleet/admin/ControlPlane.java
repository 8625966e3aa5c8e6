package io.pganalytics.fleet.admin;

import io.pganalytics.schemas.fleet.CommandType;
import io.pganalytics.schemas.fleet.FleetRules;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The control plane: {@link FleetAdmin} over the control-plane database, which is the source of truth, with the
 * fleet's Kafka topics as its projection (a change is committed first and published after, retried until Kafka
 * takes it). The API calls it; every state change names its {@link Actor}. {@link ControlPlanes#open}
 * returns the implementation.
 *
 * <p>Requests validate themselves ({@link io.pganalytics.config.InvalidValue}, paths the JSON field names); a missing
 * resource is {@link NotFound}, a state that forbids the change {@link Conflict}, a credential that is not accepted
 * {@link NotAuthorized}.
 */
public interface ControlPlane extends FleetAdmin {

    // ---- registration ----

    /** A registration secret for collectors to register with; the secret itself is in the result only. */
    IssuedSecret createRegistrationSecret(Actor actor, RegistrationSecretSpec spec);

    /** Every registration secret, newest first (never the secrets). */
    List<RegistrationSecret> registrationSecrets();

    /** Revokes a registration secret: it registers nobody from now on. */
    void revokeRegistrationSecret(Actor actor, String id);

    /**
     * Registers a collector with a registration secret: a new collector id and its token (shown once).
     *
     * @param from where the request came from, for the change log
     * @throws NotAuthorized when the secret is unknown, expired, used up or revoked (one message for all)
     */
    Registration register(RegistrationRequest request, String from);

    // ---- collectors ----

    /** A page of collectors. */
    CollectorPage listCollectors(CollectorQuery query);

    /** One collector, archived or not. */
    Optional<Collector> collector(String id);

    /** Replaces a collector's name, group, tags and labels. */
    Collector updateCollector(Actor actor, String id, CollectorUpdate update);

    /** Unregisters a collector: archived, its token refused, {@code ARCHIVED} on {@code pga.fleet.config}; its metrics stay. */
    Collector unregister(Actor actor, String id);

    /** Brings an archived collector back: active, a new token, {@code RUNNING} on {@code pga.fleet.config}. */
    Registration reRegister(Actor actor, String id);

    /** The active collector a collector token belongs to. */
    Optional<Collector> authenticateCollector(String token);

    /** Records a collector's live status as the fleet's liveness sees it; nothing happens when it did not change. */
    void recordLiveStatus(String collectorId, String liveStatus, Instant lastHeartbeatAt);

    // ---- commands ----

    /** Stores a command as pending and publishes it on {@code pga.fleet.control}; does not wait. */
    Command issueCommand(Actor actor, String collectorId, CommandType type, Duration timeout);

    /** A command with its state now ({@code timed_out} once pending past its timeout). */
    Optional<Command> command(String id);

    /** Records a collector's acknowledgement of a command (done, failed or rejected); a repeat changes nothing. */
    void recordAcknowledgement(String commandId, String outcome, String reason, Instant at);

    /** One command for many collectors, with a result per collector. */
    List<BulkResult> bulkCommand(Actor actor, List<String> collectorIds, CommandType type, Duration timeout);

    // ---- groups ----

    Group createGroup(Actor actor, GroupSpec spec);

    List<Group> groups();

    /** Every tag of the active collectors, with how many carry it, by name. */
    List<Tag> tags();

    /** @throws Conflict when a collector or a target is in the group */
    void deleteGroup(Actor actor, String name);

    // ---- targets ----

    /** @throws Conflict when a target has this id */
    StoredTarget createTarget(Actor actor, TargetSpec target);

    Optional<StoredTarget> target(String id);

    List<StoredTarget> targets(String group);

    /** Replaces a target, keeping its password when {@code keepPassword} and the spec gives none. */
    StoredTarget replaceTarget(Actor actor, TargetSpec target, boolean keepPassword);

    /** Connects to an unsaved target as the collector would, within {@code timeout}, and says what it found. */
    ConnectionReport testConnection(TargetSpec target, Duration timeout);

    /** The same for a saved target, with its stored password. */
    ConnectionReport testConnection(String targetId, Duration timeout);

    // ---- bulk import ----

    /**
     * Imports collectors (pre-registered: active, no token until re-registered) or targets: every row validated
     * first, then all written in one transaction, or none when a row fails or {@code batch.dryRun()}.
     */
    ImportReport bulkImport(Actor actor, ImportBatch batch);

    // ---- alert rules ----

    AlertRuleView putAlertRule(Actor actor, AlertRuleSpec rule);

    Optional<AlertRuleView> alertRule(String id);

    List<AlertRuleView> alertRules();

    void removeAlertRule(Actor actor, String id);

    // ---- idempotency and projection ----

    /**
     * Runs {@code work} and stores its response under {@code key} in one transaction: the same key with the same
     * fingerprint answers the stored response without running {@code work} again; another fingerprint is a
     * {@link Conflict} ({@code idempotency_key_reused}). The operations {@code work} calls join the transaction.
     */
    StoredResponse idempotently(IdempotencyKey key, Supplier<StoredResponse> work);

    /** Republishes every difference between the tables and the topics (what a start does by itself). */
    void reconcile();

    /** True when the database answers. */
    boolean databaseUp();

    // ---- accounts ----

    /** The local accounts, sessions and signing keys, on this control plane's database (closed with it). */
    Accounts accounts();

    /**
     * Re-encrypts every stored secret not sealed with the first key of {@code fleet.secret.keys} (targets' passwords,
     * the API's signing keys, TOTP secrets) with it, in one transaction; changed targets are republished on
     * {@code pga.fleet.targets}. Run after putting a new key first; remove the old key once it is done.
     */
    ResealReport resealSecrets(Actor actor);

    /** How many secrets {@link #resealSecrets} re-encrypted, by kind, and with which key. */
    record ResealReport(String keyId, int targetPasswords, int signingKeys, int totpSecrets) {
    }

    /** Rate-limit buckets shared by every process on this control plane's database. */
    RateLimits rateLimits();

    /** The audit trail: the hash chain and its checkpoints, as stored in this database. */
    AuditTrail audit();

    // ======== values ========

    /** Ids users choose or see in paths: 1 to 128 letters, digits, '.', '_' or '-'. */
    Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    /** @throws io.pganalytics.config.InvalidValue at {@code path} for an id that does not follow {@link #ID} */
    static String checkId(String path, String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new io.pganalytics.config.InvalidValue(path, "expected 1 to 128 letters, digits, '.', '_' or '-'"
                    + (id == null ? "" : ", got " + Texts.quoted(id)));
        }
        return id;
    }

    /**
     * @param validFor how long it registers collectors; null: a day; at most 365 days
     * @param maxUses  how many collectors it registers; 0: one
     */
    record RegistrationSecretSpec(String description, String group, Duration validFor, int maxUses) {
        public RegistrationSecretSpec {
            Problems problems = new Problems();
            validFor = validFor == null ? Duration.ofDays(1) : validFor;
            maxUses = maxUses == 0 ? 1 : maxUses;
            if (validFor.isNegative() || validFor.isZero() || validFor.compareTo(Duration.ofDays(365)) > 0) {
                problems.add("validForSeconds", "expected 1 second to 365 days, got " + validFor.toSeconds() + " s");
            }
            if (maxUses < 1 || maxUses > 10_000) {
                problems.add("maxUses", "expected 1 to 10000, got " + maxUses);
            }
            if (group != null) {
                problems.check(() -> checkId("group", group));
            }
            problems.check(() -> Texts.check("description", description, 500));
            problems.throwIfAny();
        }
    }

    record RegistrationSecret(String id, String description, String group, Instant expiresAt, int maxUses, int uses,
                              Instant revokedAt, Instant createdAt, String createdBy) {
    }

    /** A new registration secret and the secret itself, which is stored hashed and never shown again. */
    record IssuedSecret(RegistrationSecret info, String secret) {
        @Override
        public String toString() {
            return "IssuedSecret[" + info + ", secret=***]";
        }
    }

    /**
     * What a collector says about itself when it registers.
     *
     * @param id the collector id it asks for (its {@code collector.id}); null: one is made up
     */
    record RegistrationRequest(String secret, String name, String hostname, String version, String group,
                               List<String> tags, Map<String, String> labels, String id) {
        public RegistrationRequest {
            tags = tags == null ? List.of() : List.copyOf(tags);
            labels = labels == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(labels));
            Problems problems = new Problems();
            if (secret == null || secret.isBlank()) {
                problems.add("secret", "required");
            }
            problems.check(() -> Texts.check("name", name, 200));
            problems.check(() -> Texts.check("hostname", hostname, 255));
            problems.check(() -> Texts.check("version", version, 64));
            if (name == null || name.isBlank()) {
                problems.add("name", "required");
            }
            if (group != null) {
                problems.check(() -> checkId("group", group));
            }
            if (id != null) {
                problems.check(() -> FleetRules.checkCollectorId(id));
                problems.check(() -> checkId("id", id));
            }
            Texts.checkTags(problems, tags);
            Texts.checkLabels(problems, labels);
            problems.throwIfAny();
        }

        @Override
        public String toString() {
            return "RegistrationRequest[name=" + name + ", hostname=" + hostname + ", version=" + version + ", group="
                    + group + ", id=" + id + ", secret=***]";
        }
    }

    /** A registered collector and its token, which is stored hashed and never shown again. */
    record Registration(Collector collector, String token) {
        @Override
        public String toString() {
            return "Registration[" + collector + ", token=***]";
        }
    }

    /**
     * One collector as the control plane knows it.
     *
     * @param lifecycle    active or archived
     * @param desiredState running or stopped (what {@code stop} and {@code resume} set)
     * @param status       its live status: unknown, online, degraded or offline
     */
    record Collector(String id, String name, String hostname, String version, String group, List<String> tags,
                     Map<String, String> labels, String lifecycle, String desiredState, String status,
                     Instant registeredAt, Instant archivedAt, Instant lastHeartbeatAt) {
        public boolean archived() {
            return "archived".equals(lifecycle);
        }
    }

    /** What {@code PUT /collectors/{id}} replaces. */
    record CollectorUpdate(String name, String group, List<String> tags, Map<String, String> labels) {
        public CollectorUpdate {
            tags = tags == null ? List.of() : List.copyOf(tags);
            labels = labels == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(labels));
            Problems problems = new Problems();
            if (name == null || name.isBlank()) {
                problems.add("name", "required");
            }
            problems.check(() -> Texts.check("name", name, 200));
            if (group != null) {
                problems.check(() -> checkId("group", group));
            }
            Texts.checkTags(problems, tags);
            Texts.checkLabels(problems, labels);
            problems.throwIfAny();
        }
    }

    /**
     * Which collectors a page lists.
     *
     * @param cursor   where the previous page ended (its {@code nextCursor}); null: the first page
     * @param limit    1 to 200
     * @param search   a substring of the name, hostname or id, in any case; null: any
     * @param sort     name, registeredAt or lastHeartbeatAt, '-' first for descending
     * @param archived archived collectors instead of active ones
     */
    record CollectorQuery(String cursor, int limit, String search, String status, String group, String tag, String version,
                          String sort, boolean archived) {

        public static final List<String> SORTS = List.of("name", "registeredAt", "lastHeartbeatAt");
        public static final List<String> STATUSES = List.of("unknown", "online", "degraded", "offline");

        public CollectorQuery {
            Problems problems = new Problems();
            if (limit < 1 || limit > 200) {
                problems.add("limit", "expected 1 to 200, got " + limit);
            }
            sort = sort == null || sort.isBlank() ? "name" : sort.strip();
            String field = sort.startsWith("-") ? sort.substring(1) : sort;
            if (!SORTS.contains(field)) {
                problems.add("sort", "expected one of " + String.join(", ", SORTS) + " (a leading '-' sorts descending), got "
                        + Texts.quoted(sort));
            }
            if (status != null && !STATUSES.contains(status.toLowerCase(Locale.ROOT))) {
                problems.add("status", "expected one of " + String.join(", ", STATUSES) + ", got " + Texts.quoted(status));
            }
            problems.check(() -> Texts.check("search", search, 200));
            problems.check(() -> Texts.check("tag", tag, 100));
            problems.check(() -> Texts.check("version", version, 64));
            if (group != null) {
                problems.check(() -> checkId("group", group));
            }
            problems.throwIfAny();
            status = status == null ? null : status.toLowerCase(Locale.ROOT);
        }

        public static CollectorQuery firstPage(int limit) {
            return new CollectorQuery(null, limit, null, null, null, null, null, null, false);
        }
    }

    /** @param nextCursor the cursor of the next page; null on the last */
    record CollectorPage(List<Collector> items, String nextCursor) {
    }

    /**
     * A command and where it stands.
     *
     * @param status  pending, acknowledged, failed or timed_out
     * @param outcome the collector's word: done, failed or rejected; null while pending
     */
    record Command(String id, String collectorId, String command, String status, String outcome, String reason,
                   Instant issuedAt, Instant timeoutAt, Instant acknowledgedAt, String issuedBy) {
    }

    /** One collector's part of a bulk command: its command id, or why none was sent. */
    record BulkResult(String collectorId, String commandId, String error, String message) {
    }

    record GroupSpec(String name, String description) {
        public GroupSpec {
            Problems problems = new Problems();
            problems.check(() -> checkId("name", name));
            problems.check(() -> Texts.check("description", description, 500));
            problems.throwIfAny();
        }
    }

    record Group(String name, String description, Instant createdAt) {
    }

    record Tag(String name, int collectors) {
    }

    /** A target as stored: never its password, only whether it has one and the key it is encrypted with. */
    record StoredTarget(String id, String url, String user, boolean passwordSet, String passwordKeyId, String preset,
                        Map<String, Long> familyIntervalMillis, List<String> databases, boolean enabled, String group,
                        Instant createdAt, Instant updatedAt) {
    }

    /**
     * What connecting to a target found.
     *
     * @param missingPermissions the monitoring roles the user lacks, e.g. {@code pg_monitor}; empty when it has them
     */
    record ConnectionReport(boolean reachable, String error, String serverVersion, int serverVersionNum, boolean pgStatStatements,
                            String pgStatStatementsVersion, List<String> missingPermissions, long elapsedMillis) {
    }

    /**
     * Rows to import, as parsed JSON (or CSV) objects.
     *
     * @param kind collectors or targets
     */
    record ImportBatch(String kind, List<Map<String, Object>> rows, boolean dryRun) {
        public ImportBatch {
            Problems problems = new Problems();
            if (!"collectors".equals(kind) && !"targets".equals(kind)) {
                problems.add("kind", "expected collectors or targets, got " + Texts.quoted(kind));
            }
            if (rows == null || rows.isEmpty()) {
                problems.add("rows", "at least one row");
            } else if (rows.size() > 10_000) {
                problems.add("rows", "at most 10000 rows, got " + rows.size());
            }
            problems.throwIfAny();
            rows = List.copyOf(rows);
        }
    }

    /** One row's verdict: its id, and its problems (none: it can be, or was, imported). */
    record ImportRow(int row, String id, List<io.pganalytics.config.InvalidValue.Problem> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    /** @param imported whether the rows were written (all valid and not a dry run) */
    record ImportReport(String kind, boolean dryRun, boolean imported, List<ImportRow> rows) {
    }

    /** An alert rule as a user writes it; the names of the {@code AlertRule} record of {@code pga.alert-rules}. */
    record AlertRuleSpec(String id, String family, String field, String kind, String operator, Double threshold,
                         long durationSeconds, int windowSamples, String collectorId, String targetId, String description) {

        public static final List<String> KINDS = List.of("threshold", "anomaly");
        public static final List<String> OPERATORS = List.of("above", "below");

        public AlertRuleSpec {
            Problems problems = new Problems();
            problems.check(() -> checkId("id", id));
            if (family == null || io.pganalytics.schemas.family.MetricFamilies.all().stream().noneMatch(f -> f.name().equals(family))) {
                problems.add("family", "expected a metric family, e.g. database, got " + Texts.quoted(family));
            }
            if (field == null || !field.matches("[A-Za-z][A-Za-z0-9_]{0,99}")) {
                problems.add("field", "expected a field of the family's metrics record, e.g. numbackends, got " + Texts.quoted(field));
            }
            kind = kind == null ? "threshold" : kind.toLowerCase(Locale.ROOT);
            if (!KINDS.contains(kind)) {
                problems.add("kind", "expected threshold or anomaly, got " + Texts.quoted(kind));
            }
            operator = operator == null ? null : operator.toLowerCase(Locale.ROOT);
            if (operator == null || !OPERATORS.contains(operator)) {
                problems.add("operator", "expected above or below, got " + Texts.quoted(operator));
            }
            if (threshold == null || threshold.isNaN() || threshold.isInfinite()) {
                problems.add("threshold", "required, a finite number");
            }
            if (durationSeconds < 0 || durationSeconds > 86_400 * 7) {
                problems.add("durationSeconds", "expected 0 to 604800, got " + durationSeconds);
            }
            windowSamples = windowSamples == 0 ? 30 : windowSamples;
            if (windowSamples < 2 || windowSamples > 10_000) {
                problems.add("windowSamples", "expected 2 to 10000, got " + windowSamples);
            }
            if (collectorId != null) {
                problems.check(() -> checkId("collectorId", collectorId));
            }
            if (targetId != null) {
                problems.check(() -> checkId("targetId", targetId));
            }
            problems.check(() -> Texts.check("description", description, 500));
            problems.throwIfAny();
        }
    }

    record AlertRuleView(AlertRuleSpec rule, Instant updatedAt) {
    }

    /**
     * What makes two requests the same request.
     *
     * @param scope       whose key it is (the principal), so that two users' keys never meet
     * @param fingerprint SHA-256 of the method, path and body
     */
    record IdempotencyKey(String scope, String key, byte[] fingerprint) {
        public IdempotencyKey {
            if (key == null || key.isBlank() || key.length() > 255 || !key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new io.pganalytics.config.InvalidValue("Idempotency-Key", "expected 1 to 255 printable ASCII characters");
            }
            fingerprint = fingerprint.clone();
        }
    }

    /** A response as it was sent, to be sent again for the same idempotent request. */
    record StoredResponse(int status, String contentType, String body) {
    }

    /** The request names a resource that does not exist. */
    final class NotFound extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public NotFound(String kind, String id) {
            super("no " + kind + " " + Texts.quoted(id));
        }
    }

    /** The resource's state forbids the change; {@link #code()} says which rule. */
    final class Conflict extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String code;

        public Conflict(String code, String message) {
            super(message);
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /** The control-plane database cannot be reached or failed; the API answers 503. */
    final class Unavailable extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A credential (a registration secret) that is not accepted; the message never says which rule failed. */
    final class NotAuthorized extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public NotAuthorized(String message) {
            super(message);
        }
    }

    /** Helpers for the texts of requests: lengths, control characters, tags and labels. */
    final class Texts {
        private Texts() {
        }

        /** {@code "value"} cut to 60 characters, control characters escaped: safe to echo in an error. */
        public static String quoted(String value) {
            if (value == null) {
                return "nothing";
            }
            StringBuilder out = new StringBuilder("'");
            value.codePoints().limit(60).forEach(c -> {
                if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT || Character.getType(c) == Character.SURROGATE) {
                    out.append(String.format("\\u%04x", c));
                } else {
                    out.appendCodePoint(c);
                }
            });
            return out.append(value.codePointCount(0, value.length()) > 60 ? "…'" : "'").toString();
        }

        /** Refuses texts longer than {@code max}, with control characters or unpaired surrogates; null passes. */
        static String check(String path, String value, int max) {
            if (value == null) {
                return null;
            }
            if (value.length() > max) {
                throw new io.pganalytics.config.InvalidValue(path, "at most " + max + " characters, got " + value.length());
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (Character.isISOControl(c)) {
                    throw new io.pganalytics.config.InvalidValue(path, "control characters are not allowed");
                }
                if (Character.isHighSurrogate(c) ? i + 1 >= value.length() || !Character.isLowSurrogate(value.charAt(++i))
                        : Character.isLowSurrogate(c)) {
                    throw new io.pganalytics.config.InvalidValue(path, "not valid Unicode (an unpaired surrogate)");
                }
            }
            return value;
        }

        static void checkTags(Problems problems, List<String> tags) {
            if (tags.size() > 50) {
                problems.add("tags", "at most 50 tags, got " + tags.size());
            }
            for (int i = 0; i < tags.size(); i++) {
                int n = i;
                String tag = tags.get(i);
                if (tag == null || tag.isBlank()) {
                    problems.add("tags[" + n + "]", "empty");
                } else {
                    problems.check(() -> check("tags[" + n + "]", tag, 100));
                }
            }
        }

        static void checkLabels(Problems problems, Map<String, String> labels) {
            if (labels.size() > 50) {
                problems.add("labels", "at most 50 labels, got " + labels.size());
            }
            labels.forEach((k, v) -> {
                if (k == null || !k.matches("[A-Za-z0-9._/-]{1,100}")) {
                    problems.add("labels", "a label name is 1 to 100 letters, digits, '.', '_', '/' or '-', got " + quoted(k));
                } else if (v == null) {
                    problems.add("labels." + k, "required");
                } else {
                    problems.check(() -> check("labels." + k, v, 500));
                }
            });
        }
    }

    /** The collector commands the API sends by their path names. */
    static CommandType commandOf(String name) {
        return FleetVocabulary.command(name);
    }
}
