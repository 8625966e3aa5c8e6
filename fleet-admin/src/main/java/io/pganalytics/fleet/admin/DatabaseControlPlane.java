package io.pganalytics.fleet.admin;

import static io.pganalytics.fleet.admin.ControlDatabase.instant;
import static io.pganalytics.fleet.admin.ControlDatabase.one;
import static io.pganalytics.fleet.admin.ControlDatabase.query;
import static io.pganalytics.fleet.admin.ControlDatabase.strings;
import static io.pganalytics.fleet.admin.ControlDatabase.update;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pganalytics.config.InvalidValue;
import io.pganalytics.fleet.admin.internal.TopicClient;
import io.pganalytics.schemas.Topics;
import io.pganalytics.schemas.fleet.CommandType;
import io.pganalytics.schemas.fleet.DesiredState;
import io.pganalytics.schemas.fleet.FleetConfig;
import io.pganalytics.schemas.fleet.FleetEvent;
import io.pganalytics.schemas.fleet.FleetRules;
import io.pganalytics.schemas.fleet.FleetTarget;
import io.pganalytics.schemas.fleet.FleetVocabulary;
import io.pganalytics.schemas.fleet.Heartbeat;
import io.pganalytics.schemas.secret.SecretBox;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * {@link ControlPlane} over the control-plane database, its projection published by a {@link Projection}.
 * Heartbeats ({@link #status}) and acknowledgements awaited by {@link #sendCommand} are read from Kafka.
 */
final class DatabaseControlPlane implements ControlPlane {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String COLLECTOR_COLUMNS = "id, name, hostname, version, group_name, tags, labels, lifecycle, desired_state,"
            + " live_status, registered_at, archived_at, last_heartbeat_at";
    private static final String TARGET_COLUMNS = "id, url, username, encrypted_password, preset, family_interval_millis, databases,"
            + " enabled, group_name, created_at, updated_at";
    /** One answer for every refused secret, so that it tells an attacker nothing. */
    private static final String REFUSED = "registration refused: the secret is unknown, expired, used up or revoked";

    private final ControlDatabase db;
    private final SecretBox secrets;
    private final TopicClient topics;
    private final Projection projection;
    private final DatabaseAccounts accounts;
    private final RateLimits rateLimits;
    private final AuditTrail audit;

    DatabaseControlPlane(ControlPlaneConfig config, String clientId) {
        this.db = new ControlDatabase(config, "pga-control");
        this.secrets = config.secrets();
        try {
            this.accounts = new DatabaseAccounts(db, new PasswordHasher(config.passwordHashing()), secrets, false, config.ldap());
        } catch (RuntimeException e) {
            db.close(); // a directory that cannot be reached leaves no pool behind
            throw e;
        }
        this.rateLimits = new RateLimits(db);
        this.audit = new DatabaseAuditTrail(db, false);
        this.topics = new TopicClient(config.bootstrapServers(), config.schemaRegistryUrl(), clientId);
        this.projection = config.publisher() ? Projection.start(db, config, clientId, this::projected) : null;
    }

    // ======== registration ========

    @Override
    public IssuedSecret createRegistrationSecret(Actor actor, RegistrationSecretSpec spec) {
        Objects.requireNonNull(actor, "actor");
        String secret = "pga_r_" + randomToken();
        String id = "rs-" + randomId();
        Instant now = Instant.now();
        return db.inTransaction(actor, "registration-secret.create", c -> {
            requireGroup(c, spec.group());
            update(c, "INSERT INTO registration_secrets (id, secret_hash, description, group_name, expires_at, max_uses, created_at, created_by)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", id, hash(secret), spec.description(), spec.group(), now.plus(spec.validFor()),
                    spec.maxUses(), now, actor.toString());
            return new IssuedSecret(registrationSecret(c, id).orElseThrow(), secret);
        });
    }

    @Override
    public List<RegistrationSecret> registrationSecrets() {
        return db.read(c -> query(c, "SELECT * FROM registration_secrets ORDER BY created_at DESC, id", DatabaseControlPlane::secretRow));
    }

    @Override
    public void revokeRegistrationSecret(Actor actor, String id) {
        Objects.requireNonNull(actor, "actor");
        db.inTransaction(actor, "registration-secret.revoke", c -> {
            if (update(c, "UPDATE registration_secrets SET revoked_at = coalesce(revoked_at, now()) WHERE id = ?", id) == 0) {
                throw new NotFound("registration secret", id);
            }
            return null;
        });
    }

    @Override
    public Registration register(RegistrationRequest request, String from) {
        String token = "pga_c_" + randomToken();
        Actor collector = new Actor("collector:" + request.name(), "collector", from, "registration-secret", null, null);
        return db.inTransaction(collector, "collector.register", c -> {
            // Counted in the same statement that checks it, so that two registrations never share the last use.
            Optional<String> group = one(c, "UPDATE registration_secrets SET uses = uses + 1 WHERE secret_hash = ? AND revoked_at IS NULL"
                    + " AND expires_at > now() AND uses < max_uses RETURNING coalesce(group_name, '')", rs -> rs.getString(1), hash(request.secret()));
            if (group.isEmpty()) {
                throw new NotAuthorized(REFUSED);
            }
            String groupName = request.group() != null ? request.group() : group.get().isEmpty() ? null : group.get();
            ensureGroup(c, groupName);
            String id = request.id();
            if (id != null) {
                Optional<String> lifecycle = one(c, "SELECT lifecycle FROM collectors WHERE id = ? FOR UPDATE", rs -> rs.getString(1), id);
                if (lifecycle.isPresent() && lifecycle.get().equals("active")
                        && one(c, "SELECT 1 FROM collectors WHERE id = ? AND token_hash IS NOT NULL", rs -> 1, id).isPresent()) {
                    throw new Conflict("collector_exists", "a collector with id '" + id + "' is registered; unregister it first or register without an id");
                }
            } else {
                id = "c-" + randomId();
            }
            update(c, "INSERT INTO collectors (id, name, hostname, version, group_name, tags, labels, token_hash)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, hostname = excluded.hostname,"
                    + " version = excluded.version, group_name = excluded.group_name, tags = excluded.tags, labels = excluded.labels,"
                    + " token_hash = excluded.token_hash, lifecycle = 'active', archived_at = NULL, desired_state = 'running', updated_at = now()",
                    id, request.name(), request.hostname(), request.version(), groupName, request.tags(), json(request.labels()), hash(token));
            outbox(c, "collector", id);
            return new Registration(collectorRow(c, id).orElseThrow(), token);
        });
    }

    // ======== collectors ========

    @Override
    public CollectorPage listCollectors(CollectorQuery q) {
        boolean descending = q.sort().startsWith("-");
        String field = descending ? q.sort().substring(1) : q.sort();
        String key = switch (field) {
            case "registeredAt" -> "registered_at";
            case "lastHeartbeatAt" -> "coalesce(last_heartbeat_at, 'epoch'::timestamptz)";
            default -> "lower(name)";
        };
        List<Object> params = new ArrayList<>();
        StringBuilder where = new StringBuilder("lifecycle = ?");
        params.add(q.archived() ? "archived" : "active");
        if (q.search() != null && !q.search().isBlank()) {
            // search_text is lower(name) || ' ' || lower(hostname) || ' ' || lower(id), trigram-indexed (V2).
            where.append(" AND search_text LIKE ?");
            params.add("%" + q.search().toLowerCase(Locale.ROOT).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
        }
        if (q.status() != null) {
            where.append(" AND live_status = ?");
            params.add(q.status());
        }
        if (q.group() != null) {
            where.append(" AND group_name = ?");
            params.add(q.group());
        }
        if (q.tag() != null) {
            where.append(" AND tags @> ?");
            params.add(List.of(q.tag()));
        }
        if (q.version() != null) {
            where.append(" AND version = ?");
            params.add(q.version());
        }
        if (q.cursor() != null) {
            String[] after = Cursor.decode(q.cursor());
            String cast = field.equals("name") ? "?" : "?::timestamptz";
            where.append(" AND (").append(key).append(", id) ").append(descending ? "<" : ">").append(" (").append(cast).append(", ?)");
            params.add(after[0]);
            params.add(after[1]);
        }
        String order = " ORDER BY " + key + (descending ? " DESC" : "") + ", id" + (descending ? " DESC" : "");
        String sql = "SELECT " + COLLECTOR_COLUMNS + ", " + key + "::text AS sort_key FROM collectors WHERE " + where + order + " LIMIT ?";
        params.add(q.limit() + 1);
        // Planned for these values every time (ControlDatabase: plan_cache_mode), the indexes of V1 and V2 answer.
        List<Object[]> rows = db.read(c -> query(c, sql, rs -> new Object[] {collector(rs), rs.getString("sort_key")}, params.toArray()));
        List<Collector> items = new ArrayList<>();
        for (int i = 0; i < Math.min(rows.size(), q.limit()); i++) {
            items.add((Collector) rows.get(i)[0]);
        }
        String next = null;
        if (rows.size() > q.limit()) {
            Object[] last = rows.get(q.limit() - 1);
            next = Cursor.encode((String) last[1], ((Collector) last[0]).id());
        }
        return new CollectorPage(List.copyOf(items), next);
    }

    @Override
    public Optional<Collector> collector(String id) {
        return db.read(c -> collectorRow(c, id));
    }

    @Override
    public Collector updateCollector(Actor actor, String id, CollectorUpdate u) {
        Objects.requireNonNull(actor, "actor");
        return db.inTransaction(actor, "collector.update", c -> {
            requireGroup(c, u.group());
            if (update(c, "UPDATE collectors SET name = ?, group_name = ?, tags = ?, labels = ?::jsonb, updated_at = now() WHERE id = ?",
                    u.name(), u.group(), u.tags(), json(u.labels()), id) == 0) {
                throw new NotFound("collector", id);
            }
            return collectorRow(c, id).orElseThrow();
        });
    }

    @Override
    public Collector unregister(Actor actor, String id) {
        Objects.requireNonNull(actor, "actor");
        return db.inTransaction(actor, "collector.unregister", c -> {
            Collector collector = collectorRow(c, id).orElseThrow(() -> new NotFound("collector", id));
            if (collector.archived()) {
                throw new Conflict("collector_archived", "collector '" + id + "' is archived already");
            }
            update(c, "UPDATE collectors SET lifecycle = 'archived', archived_at = now(), token_hash = NULL, updated_at = now() WHERE id = ?", id);
            outbox(c, "collector", id);
            return collectorRow(c, id).orElseThrow();
        });
    }

    @Override
    public Registration reRegister(Actor actor, String id) {
        Objects.requireNonNull(actor, "actor");
        String token = "pga_c_" + randomToken();
        return db.inTransaction(actor, "collector.re-register", c -> {
            Collector collector = collectorRow(c, id).orElseThrow(() -> new NotFound("collector", id));
            if (!collector.archived() && one(c, "SELECT 1 FROM collectors WHERE id = ? AND token_hash IS NOT NULL", rs -> 1, id).isPresent()) {
                throw new Conflict("collector_active", "collector '" + id + "' is registered; only an archived or imported one can be re-registered");
            }
            update(c, "UPDATE collectors SET lifecycle = 'active', archived_at = NULL, desired_state = 'running', token_hash = ?, updated_at = now()"
                    + " WHERE id = ?", hash(token), id);
            outbox(c, "collector", id);
            return new Registration(collectorRow(c, id).orElseThrow(), token);
        });
    }

    @Override
    public Optional<Collector> authenticateCollector(String token) {
        if (token == null || !token.startsWith("pga_c_")) {
            return Optional.empty();
        }
        return db.read(c -> one(c, "SELECT " + COLLECTOR_COLUMNS + " FROM collectors WHERE token_hash = ? AND lifecycle = 'active'",
                DatabaseControlPlane::collector, hash(token)));
    }

    @Override
    public void recordLiveStatus(String collectorId, String liveStatus, Instant lastHeartbeatAt) {
        db.inTransaction(c -> update(c, "UPDATE collectors SET live_status = ?, last_heartbeat_at = greatest(last_heartbeat_at, ?)"
                + " WHERE id = ? AND (live_status IS DISTINCT FROM ? OR last_heartbeat_at IS DISTINCT FROM greatest(last_heartbeat_at, ?))",
                liveStatus, lastHeartbeatAt, collectorId, liveStatus, lastHeartbeatAt));
    }

    // ======== commands ========

    @Override
    public Command issueCommand(Actor actor, String collectorId, CommandType type, Duration timeout) {
        Objects.requireNonNull(actor, "actor");
        return db.inTransaction(actor, "command.issue", c -> {
            Collector collector = collectorRow(c, collectorId).orElseThrow(() -> new NotFound("collector", collectorId));
            if (collector.archived()) {
                throw new Conflict("collector_archived", "collector '" + collectorId + "' is archived; re-register it first");
            }
            // stop and resume are also the collector's desired state, so that it holds after a restart.
            if (type == CommandType.STOP || type == CommandType.RESUME) {
                update(c, "UPDATE collectors SET desired_state = ?, updated_at = now() WHERE id = ?", type == CommandType.STOP ? "stopped" : "running",
                        collectorId);
                outbox(c, "collector", collectorId);
            }
            return insertCommand(c, actor, collectorId, type, timeout);
        });
    }

    private Command insertCommand(Connection c, Actor actor, String collectorId, CommandType type, Duration timeout) throws SQLException {
        UUID id = UUID.randomUUID();
        Instant now = Instant.now();
        update(c, "INSERT INTO commands (id, collector_id, command, issued_by, issued_at, timeout_at) VALUES (?, ?, ?, ?, ?, ?)",
                id, collectorId, FleetVocabulary.commandName(type), actor.toString(), now, now.plus(timeout));
        outbox(c, "command", id.toString());
        return commandRow(c, id.toString()).orElseThrow();
    }

    @Override
    public Optional<Command> command(String id) {
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return db.read(c -> commandRow(c, uuid.toString()));
    }

    @Override
    public void recordAcknowledgement(String commandId, String outcome, String reason, Instant at) {
        UUID uuid;
        try {
            uuid = UUID.fromString(commandId);
        } catch (IllegalArgumentException | NullPointerException e) {
            return;
        }
        String status = "done".equals(outcome) ? "acknowledged" : "failed";
        db.inTransaction(Actor.SYSTEM, "command.acknowledged", c -> update(c, "UPDATE commands SET status = ?, outcome = ?, reason = ?, acknowledged_at = ? WHERE id = ? AND status = 'pending'",
                status, outcome, reason, at, uuid));
    }

    @Override
    public List<BulkResult> bulkCommand(Actor actor, List<String> collectorIds, CommandType type, Duration timeout) {
        List<BulkResult> results = new ArrayList<>();
        for (String id : collectorIds) {
            try {
                results.add(new BulkResult(id, issueCommand(actor, id, type, timeout).id(), null, null));
            } catch (NotFound e) {
                results.add(new BulkResult(id, null, "not_found", e.getMessage()));
            } catch (Conflict e) {
                results.add(new BulkResult(id, null, e.code(), e.getMessage()));
            }
        }
        return results;
    }

    // ======== groups ========

    @Override
    public Group createGroup(Actor actor, GroupSpec spec) {
        Objects.requireNonNull(actor, "actor");
        return db.inTransaction(actor, "group.create", c -> {
            if (update(c, "INSERT INTO collector_groups (name, description) VALUES (?, ?) ON CONFLICT DO NOTHING", spec.name(), spec.description()) == 0) {
                throw new Conflict("group_exists", "a group named '" + spec.name() + "' exists");
            }
            return one(c, "SELECT * FROM collector_groups WHERE name = ?", DatabaseControlPlane::groupRow, spec.name()).orElseThrow();
        });
    }

    @Override
    public List<Group> groups() {
        return db.read(c -> query(c, "SELECT * FROM collector_groups ORDER BY name", DatabaseControlPlane::groupRow));
    }

    @Override
    public List<Tag> tags() {
        return db.read(c -> query(c, "SELECT tag, count(*) FROM collectors, unnest(tags) AS tag WHERE lifecycle = 'active'"
                + " GROUP BY tag ORDER BY tag", rs -> new Tag(rs.getString(1), rs.getInt(2))));
    }

    @Override
    public void deleteGroup(Actor actor, String name) {
        Objects.requireNonNull(actor, "actor");
        db.inTransaction(actor, "group.delete", c -> {
            if (one(c, "SELECT 1 FROM collectors WHERE group_name = ? UNION ALL SELECT 1 FROM targets WHERE group_name = ? UNION ALL"
                    + " SELECT 1 FROM registration_secrets WHERE group_name = ? LIMIT 1", rs -> 1, name, name, name).isPresent()) {
                throw new Conflict("group_in_use", "group '" + name + "' has collectors, targets or registration secrets");
            }
            if (update(c, "DELETE FROM collector_groups WHERE name = ?", name) == 0) {
                throw new NotFound("group", name);
            }
            return null;
        });
    }

    // ======== targets ========

    @Override
    public FleetTarget putTarget(Actor actor, TargetSpec target) {
        replaceTarget(actor, target, false);
        return db.inTransaction(actor, "target.put", c -> fleetTarget(c, target.targetId())).orElseThrow();
    }

    @Override
    public StoredTarget createTarget(Actor actor, TargetSpec target) {
        Objects.requireNonNull(actor, "actor");
        requireKeysFor(target);
        return db.inTransaction(actor, "target.create", c -> {
            if (one(c, "SELECT 1 FROM targets WHERE id = ?", rs -> 1, target.targetId()).isPresent()) {
                throw new Conflict("target_exists", "a target with id '" + target.targetId() + "' exists; PUT replaces it");
            }
            return writeTarget(c, target, false);
        });
    }

    @Override
    public StoredTarget replaceTarget(Actor actor, TargetSpec target, boolean keepPassword) {
        Objects.requireNonNull(actor, "actor");
        requireKeysFor(target);
        return db.inTransaction(actor, "target.replace", c -> writeTarget(c, target, keepPassword));
    }

    /** A password needs a key: refused before anything is contacted. */
    private void requireKeysFor(TargetSpec target) {
        if (target.password() != null && secrets == null) {
            throw new InvalidValue(SecretBox.KEYS, "required to encrypt the password (keyId:base64Key; `pganalytics fleet keygen` makes one)");
        }
    }

    private StoredTarget writeTarget(Connection c, TargetSpec t, boolean keepPassword) throws SQLException {
        requireGroup(c, t.group());
        requireKeysFor(t);
        String encrypted = t.password() == null ? null : secrets.encrypt(t.password(), "target:" + t.targetId());
        String keep = keepPassword && t.password() == null ? "targets.encrypted_password" : "excluded.encrypted_password";
        update(c, "INSERT INTO targets (id, url, username, encrypted_password, preset, family_interval_millis, databases, enabled, group_name)"
                + " VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET url = excluded.url, username = excluded.username,"
                + " encrypted_password = " + keep + ", preset = excluded.preset, family_interval_millis = excluded.family_interval_millis,"
                + " databases = excluded.databases, enabled = excluded.enabled, group_name = excluded.group_name, updated_at = now()",
                t.targetId(), t.url(), t.user(), encrypted, t.preset(), json(t.familyIntervalMillis()), t.databases(), t.enabled(), t.group());
        outbox(c, "target", t.targetId());
        return targetRow(c, t.targetId()).orElseThrow();
    }

    @Override
    public void removeTarget(Actor actor, String targetId) {
        Objects.requireNonNull(actor, "actor");
        FleetRules.checkTargetId(targetId);
        db.inTransaction(actor, "target.remove", c -> {
            if (update(c, "DELETE FROM targets WHERE id = ?", targetId) == 0) {
                throw new NotFound("target", targetId);
            }
            outbox(c, "target", targetId);
            return null;
        });
    }

    @Override
    public Optional<StoredTarget> target(String id) {
        return db.read(c -> targetRow(c, id));
    }

    @Override
    public List<StoredTarget> targets(String group) {
        return db.read(c -> group == null
                ? query(c, "SELECT " + TARGET_COLUMNS + " FROM targets ORDER BY id", DatabaseControlPlane::storedTarget)
                : query(c, "SELECT " + TARGET_COLUMNS + " FROM targets WHERE group_name = ? ORDER BY id", DatabaseControlPlane::storedTarget, group));
    }

    @Override
    public List<ListedTarget> listTargets() {
        return db.read(c -> {
            List<ListedTarget> listed = new ArrayList<>();
            for (String id : query(c, "SELECT id FROM targets ORDER BY id", rs -> rs.getString(1))) {
                listed.add(new ListedTarget.Target(id, fleetTarget(c, id).orElseThrow()));
            }
            return listed;
        });
    }

    @Override
    public ConnectionReport testConnection(TargetSpec target, Duration timeout) {
        return ConnectionTester.test(target.url(), target.user(), target.password(), timeout);
    }

    @Override
    public ConnectionReport testConnection(String targetId, Duration timeout) {
        FleetTarget target = db.read(c -> fleetTarget(c, targetId)).orElseThrow(() -> new NotFound("target", targetId));
        String password = null;
        if (target.getEncryptedPassword() != null) {
            if (secrets == null) {
                throw new InvalidValue(SecretBox.KEYS, "required to decrypt the stored password");
            }
            password = secrets.decrypt(target.getEncryptedPassword(), "target:" + targetId);
        }
        return ConnectionTester.test(target.getUrl(), target.getUser(), password, timeout);
    }

    // ======== bulk import ========

    @Override
    public ImportReport bulkImport(Actor actor, ImportBatch batch) {
        Objects.requireNonNull(actor, "actor");
        List<ImportRow> report = new ArrayList<>();
        List<Object> parsed = new ArrayList<>();
        java.util.Set<String> ids = new java.util.HashSet<>();
        java.util.Set<String> groups = new java.util.HashSet<>(groups().stream().map(Group::name).toList());
        for (int i = 0; i < batch.rows().size(); i++) {
            Map<String, Object> row = batch.rows().get(i);
            Object value = null;
            List<InvalidValue.Problem> problems = new ArrayList<>();
            try {
                value = batch.kind().equals("targets") ? ImportRows.target(row) : ImportRows.collector(row);
            } catch (InvalidValue e) {
                problems.addAll(e.problems());
            }
            String id = value instanceof TargetSpec t ? t.targetId() : value instanceof ImportRows.CollectorRow c ? c.id() : ImportRows.idOf(row);
            if (id != null && !ids.add(id)) {
                problems.add(new InvalidValue.Problem("id", "'" + id + "' appears twice in the file"));
            }
            String group = value instanceof TargetSpec t ? t.group() : value instanceof ImportRows.CollectorRow c ? c.update().group() : null;
            if (group != null && !groups.contains(group)) {
                problems.add(new InvalidValue.Problem("group", "no group '" + group + "'; create it first"));
            }
            report.add(new ImportRow(i, id, List.copyOf(problems)));
            parsed.add(value);
        }
        boolean valid = report.stream().allMatch(ImportRow::ok);
        if (!valid || batch.dryRun()) {
            return new ImportReport(batch.kind(), batch.dryRun(), false, report);
        }
        db.inTransaction(actor, "target.import", c -> {
            for (Object value : parsed) {
                if (value instanceof TargetSpec target) {
                    writeTarget(c, target, false);
                } else if (value instanceof ImportRows.CollectorRow row) {
                    requireGroup(c, row.update().group());
                    if (update(c, "INSERT INTO collectors (id, name, hostname, version, group_name, tags, labels) VALUES (?, ?, ?, ?, ?, ?, ?::jsonb)"
                            + " ON CONFLICT DO NOTHING", row.id(), row.update().name(), row.hostname(), row.version(), row.update().group(),
                            row.update().tags(), json(row.update().labels())) == 0) {
                        throw new Conflict("collector_exists", "a collector with id '" + row.id() + "' exists; nothing was imported");
                    }
                    outbox(c, "collector", row.id());
                }
            }
            return null;
        });
        return new ImportReport(batch.kind(), false, true, report);
    }

    // ======== desired state, commands with waiting, status (the command line's) ========

    @Override
    public FleetConfig setDesiredState(Actor actor, DesiredStateSpec desired) {
        Objects.requireNonNull(actor, "actor");
        return db.inTransaction(actor, "collector.set-desired-state", c -> {
            update(c, "INSERT INTO collectors (id, name, desired_state, desired_log_level, desired_family_interval_millis) VALUES (?, ?, ?, ?, ?::jsonb)"
                    + " ON CONFLICT (id) DO UPDATE SET desired_state = excluded.desired_state, desired_log_level = excluded.desired_log_level,"
                    + " desired_family_interval_millis = excluded.desired_family_interval_millis, updated_at = now()",
                    desired.collectorId(), desired.collectorId(), FleetVocabulary.stateName(desired.state()), desired.logLevel(),
                    json(desired.familyIntervalMillis()));
            outbox(c, "collector", desired.collectorId());
            return fleetConfig(c, desired.collectorId()).orElseThrow();
        });
    }

    @Override
    public CommandResult sendCommand(Actor actor, CommandRequest request) {
        Objects.requireNonNull(actor, "actor");
        if (request.timeout().isZero()) {
            Command command = commandAnyCollector(actor, request.collectorId(), request.command(), Duration.ofMinutes(5));
            return new CommandResult.Sent(command.id(), request);
        }
        try (TopicClient.Tail acks = topics.tail(Topics.FLEET_EVENTS)) {
            Command command = commandAnyCollector(actor, request.collectorId(), request.command(), request.timeout());
            Object ack = acks.await(v -> v instanceof FleetEvent e && FleetVocabulary.KIND_COMMAND.equals(e.getKind())
                    && command.id().equals(e.getCommandId()), request.timeout());
            if (ack instanceof FleetEvent event) {
                recordAcknowledgement(command.id(), event.getTo(), event.getReason(), event.getAt());
                return new CommandResult.Acknowledged(command.id(), request, event.getTo(), event.getReason());
            }
            return new CommandResult.Unacknowledged(command.id(), request);
        }
    }

    /**
     * The command line may command a collector that never registered (one configured by file, which the control
     * plane does not know): its command is stored and published all the same.
     */
    private Command commandAnyCollector(Actor actor, String collectorId, CommandType type, Duration timeout) {
        boolean known = db.read(c -> collectorRow(c, collectorId).isPresent());
        return known ? issueCommand(actor, collectorId, type, timeout)
                : db.inTransaction(actor, "command.issue", c -> insertCommand(c, actor, collectorId, type, timeout));
    }

    @Override
    public List<Heartbeat> status(StatusQuery query) {
        Instant since = Instant.now().minus(Duration.ofMinutes(query.sinceMinutes()));
        List<Heartbeat> heartbeats = new ArrayList<>();
        topics.readLatest(Topics.FLEET_HEARTBEATS, since).forEach((id, value) -> {
            if (value instanceof Heartbeat heartbeat && (query.collectorId() == null || query.collectorId().equals(id))) {
                heartbeats.add(heartbeat);
            }
        });
        heartbeats.sort((a, b) -> a.getCollectorId().toString().compareTo(b.getCollectorId().toString()));
        return heartbeats;
    }

    // ======== alert rules ========

    @Override
    public AlertRuleView putAlertRule(Actor actor, AlertRuleSpec r) {
        Objects.requireNonNull(actor, "actor");
        return db.inTransaction(actor, "alert-rule.put", c -> {
            update(c, "INSERT INTO alert_rules (id, family, field, kind, operator, threshold, duration_seconds, window_samples, collector_id, target_id,"
                    + " description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET family = excluded.family, field = excluded.field,"
                    + " kind = excluded.kind, operator = excluded.operator, threshold = excluded.threshold, duration_seconds = excluded.duration_seconds,"
                    + " window_samples = excluded.window_samples, collector_id = excluded.collector_id, target_id = excluded.target_id,"
                    + " description = excluded.description, updated_at = now()",
                    r.id(), r.family(), r.field(), r.kind(), r.operator(), r.threshold(), r.durationSeconds(), r.windowSamples(), r.collectorId(),
                    r.targetId(), r.description());
            outbox(c, "alert-rule", r.id());
            return alertRuleRow(c, r.id()).orElseThrow();
        });
    }

    @Override
    public Optional<AlertRuleView> alertRule(String id) {
        return db.read(c -> alertRuleRow(c, id));
    }

    @Override
    public List<AlertRuleView> alertRules() {
        return db.read(c -> query(c, "SELECT * FROM alert_rules ORDER BY id", DatabaseControlPlane::alertRule));
    }

    @Override
    public void removeAlertRule(Actor actor, String id) {
        Objects.requireNonNull(actor, "actor");
        db.inTransaction(actor, "alert-rule.remove", c -> {
            if (update(c, "DELETE FROM alert_rules WHERE id = ?", id) == 0) {
                throw new NotFound("alert rule", id);
            }
            outbox(c, "alert-rule", id);
            return null;
        });
    }

    // ======== idempotency, projection ========

    @Override
    public StoredResponse idempotently(IdempotencyKey key, Supplier<StoredResponse> work) {
        return db.inTransaction(c -> {
            // The first of two concurrent requests with one key inserts the row; the second waits on it here
            // until the first commits (then replays) or rolls back (then runs itself).
            int claimed = update(c, "INSERT INTO idempotency_keys (scope, key, fingerprint, status, content_type, body) VALUES (?, ?, ?, 0, '', '')"
                    + " ON CONFLICT DO NOTHING", key.scope(), key.key(), key.fingerprint());
            if (claimed == 0) {
                Object[] stored = one(c, "SELECT fingerprint, status, content_type, body FROM idempotency_keys WHERE scope = ? AND key = ?",
                        rs -> new Object[] {rs.getBytes(1), rs.getInt(2), rs.getString(3), rs.getString(4)}, key.scope(), key.key()).orElseThrow();
                if (!Arrays.equals((byte[]) stored[0], key.fingerprint())) {
                    throw new Conflict("idempotency_key_reused", "Idempotency-Key '" + key.key() + "' was used for another request");
                }
                return new StoredResponse((int) stored[1], (String) stored[2], (String) stored[3]);
            }
            StoredResponse response = work.get();
            update(c, "UPDATE idempotency_keys SET status = ?, content_type = ?, body = ? WHERE scope = ? AND key = ?", response.status(),
                    response.contentType(), response.body(), key.scope(), key.key());
            return response;
        });
    }

    @Override
    public void reconcile() {
        if (projection != null) {
            projection.reconcile();
        }
    }

    @Override
    public Accounts accounts() {
        return accounts;
    }

    @Override
    public ResealReport resealSecrets(Actor actor) {
        Objects.requireNonNull(actor, "actor");
        if (secrets == null) {
            throw new InvalidValue(SecretBox.KEYS, "required to re-encrypt the stored secrets");
        }
        String key = secrets.encryptingKeyId();
        return db.inTransaction(actor, "secrets.reseal", c -> {
            record Sealed(String id, String value) {
            }
            int targets = 0;
            for (Sealed t : query(c, "SELECT id, encrypted_password FROM targets WHERE encrypted_password IS NOT NULL FOR UPDATE",
                    rs -> new Sealed(rs.getString(1), rs.getString(2)))) {
                if (!key.equals(SecretBox.keyIdOf(t.value()))) {
                    String context = "target:" + t.id();
                    update(c, "UPDATE targets SET encrypted_password = ?, updated_at = now() WHERE id = ?",
                            secrets.encrypt(secrets.decrypt(t.value(), context), context), t.id());
                    outbox(c, "target", t.id());
                    targets++;
                }
            }
            int[] accountSecrets = accounts.reseal(c, secrets);
            return new ResealReport(key, targets, accountSecrets[0], accountSecrets[1]);
        });
    }

    @Override
    public AuditTrail audit() {
        return audit;
    }

    @Override
    public RateLimits rateLimits() {
        return rateLimits;
    }

    @Override
    public boolean databaseUp() {
        return db.up();
    }

    @Override
    public void close() {
        if (projection != null) {
            projection.close();
        }
        topics.close();
        db.close();
    }

    // ======== the projection's view of an entity ========

    /** The record an outbox row stands for now: its topic, key and value (null value: a tombstone). */
    private Projection.Record projected(Connection c, String kind, String id) throws SQLException {
        return switch (kind) {
            case "target" -> new Projection.Record(Topics.FLEET_TARGETS, id, fleetTarget(c, id).orElse(null));
            case "collector" -> new Projection.Record(Topics.FLEET_CONFIG, id, fleetConfig(c, id).orElse(null));
            case "alert-rule" -> new Projection.Record(Topics.ALERT_RULES, id, alertRuleRow(c, id).map(v -> Projection.alertRule(v.rule())).orElse(null));
            case "command" -> commandRow(c, id).map(cmd -> new Projection.Record(Topics.FLEET_CONTROL, cmd.collectorId(), Projection.command(cmd),
                    () -> update(c, "UPDATE commands SET published_at = now() WHERE id = ?", UUID.fromString(id)))).orElse(null);
            default -> throw new IllegalStateException("unknown outbox kind " + kind);
        };
    }

    private Optional<FleetTarget> fleetTarget(Connection c, String id) throws SQLException {
        return one(c, "SELECT " + TARGET_COLUMNS + " FROM targets WHERE id = ?", rs -> FleetTarget.newBuilder().setTargetId(rs.getString("id"))
                .setUrl(rs.getString("url")).setUser(rs.getString("username")).setEncryptedPassword(rs.getString("encrypted_password"))
                .setPreset(rs.getString("preset")).setFamilyIntervalMillis(longs(rs.getString("family_interval_millis")))
                .setDatabases(strings(rs, "databases")).setEnabled(rs.getBoolean("enabled")).setGroup(rs.getString("group_name"))
                .setUpdatedAt(instant(rs, "updated_at")).build(), id);
    }

    private Optional<FleetConfig> fleetConfig(Connection c, String id) throws SQLException {
        return one(c, "SELECT lifecycle, desired_state, desired_log_level, desired_family_interval_millis, updated_at FROM collectors WHERE id = ?",
                rs -> FleetConfig.newBuilder().setCollectorId(id)
                        .setState(rs.getString("lifecycle").equals("archived") ? DesiredState.ARCHIVED
                                : rs.getString("desired_state").equals("stopped") ? DesiredState.STOPPED : DesiredState.RUNNING)
                        .setLogLevel(rs.getString("desired_log_level")).setFamilyIntervalMillis(longs(rs.getString("desired_family_interval_millis")))
                        .setUpdatedAt(instant(rs, "updated_at")).build(), id);
    }

    // ======== rows ========

    private static void outbox(Connection c, String kind, String id) throws SQLException {
        update(c, "INSERT INTO projection_outbox (kind, entity_id) VALUES (?, ?)", kind, id);
    }

    private static void requireGroup(Connection c, String group) throws SQLException {
        if (group != null && one(c, "SELECT 1 FROM collector_groups WHERE name = ?", rs -> 1, group).isEmpty()) {
            throw new InvalidValue("group", "no group '" + group + "'; create it first (POST /api/v1/groups)");
        }
    }

    /** A collector that registers into a group creates it: its secret (or the operator) named it. */
    private static void ensureGroup(Connection c, String group) throws SQLException {
        if (group != null) {
            update(c, "INSERT INTO collector_groups (name) VALUES (?) ON CONFLICT DO NOTHING", group);
        }
    }

    private static Optional<Collector> collectorRow(Connection c, String id) throws SQLException {
        return one(c, "SELECT " + COLLECTOR_COLUMNS + " FROM collectors WHERE id = ?", DatabaseControlPlane::collector, id);
    }

    private static Collector collector(ResultSet rs) throws SQLException {
        return new Collector(rs.getString("id"), rs.getString("name"), rs.getString("hostname"), rs.getString("version"), rs.getString("group_name"),
                strings(rs, "tags"), texts(rs.getString("labels")), rs.getString("lifecycle"), rs.getString("desired_state"),
                rs.getString("live_status"), instant(rs, "registered_at"), instant(rs, "archived_at"), instant(rs, "last_heartbeat_at"));
    }

    private static Optional<RegistrationSecret> registrationSecret(Connection c, String id) throws SQLException {
        return one(c, "SELECT * FROM registration_secrets WHERE id = ?", DatabaseControlPlane::secretRow, id);
    }

    private static RegistrationSecret secretRow(ResultSet rs) throws SQLException {
        return new RegistrationSecret(rs.getString("id"), rs.getString("description"), rs.getString("group_name"), instant(rs, "expires_at"),
                rs.getInt("max_uses"), rs.getInt("uses"), instant(rs, "revoked_at"), instant(rs, "created_at"), rs.getString("created_by"));
    }

    private static Group groupRow(ResultSet rs) throws SQLException {
        return new Group(rs.getString("name"), rs.getString("description"), instant(rs, "created_at"));
    }

    private static Optional<StoredTarget> targetRow(Connection c, String id) throws SQLException {
        return one(c, "SELECT " + TARGET_COLUMNS + " FROM targets WHERE id = ?", DatabaseControlPlane::storedTarget, id);
    }

    private static StoredTarget storedTarget(ResultSet rs) throws SQLException {
        String encrypted = rs.getString("encrypted_password");
        return new StoredTarget(rs.getString("id"), rs.getString("url"), rs.getString("username"), encrypted != null, SecretBox.keyIdOf(encrypted),
                rs.getString("preset"), longs(rs.getString("family_interval_millis")), strings(rs, "databases"), rs.getBoolean("enabled"),
                rs.getString("group_name"), instant(rs, "created_at"), instant(rs, "updated_at"));
    }

    private static Optional<Command> commandRow(Connection c, String id) throws SQLException {
        return one(c, "SELECT * FROM commands WHERE id = ?", rs -> {
            String status = rs.getString("status");
            Instant timeoutAt = instant(rs, "timeout_at");
            if (status.equals("pending") && timeoutAt.isBefore(Instant.now())) {
                status = "timed_out";
            }
            return new Command(rs.getString("id"), rs.getString("collector_id"), rs.getString("command"), status, rs.getString("outcome"),
                    rs.getString("reason"), instant(rs, "issued_at"), timeoutAt, instant(rs, "acknowledged_at"), rs.getString("issued_by"));
        }, UUID.fromString(id));
    }

    private static Optional<AlertRuleView> alertRuleRow(Connection c, String id) throws SQLException {
        return one(c, "SELECT * FROM alert_rules WHERE id = ?", DatabaseControlPlane::alertRule, id);
    }

    private static AlertRuleView alertRule(ResultSet rs) throws SQLException {
        return new AlertRuleView(new AlertRuleSpec(rs.getString("id"), rs.getString("family"), rs.getString("field"), rs.getString("kind"),
                rs.getString("operator"), rs.getDouble("threshold"), rs.getLong("duration_seconds"), rs.getInt("window_samples"),
                rs.getString("collector_id"), rs.getString("target_id"), rs.getString("description")), instant(rs, "updated_at"));
    }

    // ======== helpers ========

    static byte[] hash(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    static String randomToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String randomId() {
        String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        StringBuilder id = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            id.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return id.toString();
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Long> longs(String json) {
        try {
            return json == null ? Map.of() : JSON.readValue(json, new TypeReference<LinkedHashMap<String, Long>>() { });
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> texts(String json) {
        try {
            return json == null ? Map.of() : JSON.readValue(json, new TypeReference<LinkedHashMap<String, String>>() { });
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Opaque page cursors: the last row's sort key and id. */
    static final class Cursor {
        private Cursor() {
        }

        static String encode(String sortKey, String id) {
            return Base64.getUrlEncoder().withoutPadding().encodeToString((sortKey + "\u0000" + id).getBytes(StandardCharsets.UTF_8));
        }

        static String[] decode(String cursor) {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\u0000", 2);
                if (parts.length == 2) {
                    return parts;
                }
            } catch (IllegalArgumentException e) {
                // falls through to the error
            }
            throw new InvalidValue("cursor", "not a cursor this API gave out");
        }
    }
}
