package io.pganalytics.fleet.admin;

import io.pganalytics.schemas.fleet.CommandType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** {@link ChangeLog} for the whole control plane: one line per change, naming its actor; never a secret or a token. */
final class ControlPlaneChangeLog extends ChangeLog implements ControlPlane {

    private final ControlPlane plane;
    private final Accounts accounts;

    ControlPlaneChangeLog(ControlPlane plane) {
        super(plane);
        this.plane = plane;
        this.accounts = new AccountsChangeLog(plane.accounts());
    }

    @Override
    public IssuedSecret createRegistrationSecret(Actor actor, RegistrationSecretSpec spec) {
        IssuedSecret issued = plane.createRegistrationSecret(actor, spec);
        LOG.info("fleet change by {}: registration secret {} created (group {}, {} uses, expires {})", actor, issued.info().id(),
                issued.info().group(), issued.info().maxUses(), issued.info().expiresAt());
        return issued;
    }

    @Override
    public List<RegistrationSecret> registrationSecrets() {
        return plane.registrationSecrets();
    }

    @Override
    public void revokeRegistrationSecret(Actor actor, String id) {
        plane.revokeRegistrationSecret(actor, id);
        LOG.info("fleet change by {}: registration secret {} revoked", actor, id);
    }

    @Override
    public Registration register(RegistrationRequest request, String from) {
        Registration registration = plane.register(request, from);
        LOG.info("fleet change by collector {} (from {}): registered as {} ({}, group {})", request.name(), from,
                registration.collector().id(), request.hostname(), registration.collector().group());
        return registration;
    }

    @Override
    public CollectorPage listCollectors(CollectorQuery query) {
        return plane.listCollectors(query);
    }

    @Override
    public Optional<Collector> collector(String id) {
        return plane.collector(id);
    }

    @Override
    public Collector updateCollector(Actor actor, String id, CollectorUpdate update) {
        Collector updated = plane.updateCollector(actor, id, update);
        LOG.info("fleet change by {}: collector {} updated (name {}, group {}, tags {})", actor, id, updated.name(), updated.group(), updated.tags());
        return updated;
    }

    @Override
    public Collector unregister(Actor actor, String id) {
        Collector archived = plane.unregister(actor, id);
        LOG.info("fleet change by {}: collector {} unregistered (archived)", actor, id);
        return archived;
    }

    @Override
    public Registration reRegister(Actor actor, String id) {
        Registration registration = plane.reRegister(actor, id);
        LOG.info("fleet change by {}: collector {} re-registered with a new token", actor, id);
        return registration;
    }

    @Override
    public Optional<Collector> authenticateCollector(String token) {
        return plane.authenticateCollector(token);
    }

    @Override
    public void recordLiveStatus(String collectorId, String liveStatus, Instant lastHeartbeatAt) {
        plane.recordLiveStatus(collectorId, liveStatus, lastHeartbeatAt);
    }

    @Override
    public Command issueCommand(Actor actor, String collectorId, CommandType type, Duration timeout) {
        Command command = plane.issueCommand(actor, collectorId, type, timeout);
        LOG.info("fleet change by {}: command {} {} to collector {}: pending", actor, command.id(), command.command(), collectorId);
        return command;
    }

    @Override
    public Optional<Command> command(String id) {
        return plane.command(id);
    }

    @Override
    public void recordAcknowledgement(String commandId, String outcome, String reason, Instant at) {
        plane.recordAcknowledgement(commandId, outcome, reason, at);
    }

    @Override
    public List<BulkResult> bulkCommand(Actor actor, List<String> collectorIds, CommandType type, Duration timeout) {
        // The delegate issues each command; one line says the batch.
        List<BulkResult> results = plane.bulkCommand(actor, collectorIds, type, timeout);
        LOG.info("fleet change by {}: bulk command {} to {} collectors: {} sent", actor, type, collectorIds.size(),
                results.stream().filter(r -> r.commandId() != null).count());
        return results;
    }

    @Override
    public Group createGroup(Actor actor, GroupSpec spec) {
        Group group = plane.createGroup(actor, spec);
        LOG.info("fleet change by {}: group {} created", actor, spec.name());
        return group;
    }

    @Override
    public List<Group> groups() {
        return plane.groups();
    }

    @Override
    public List<Tag> tags() {
        return plane.tags();
    }

    @Override
    public void deleteGroup(Actor actor, String name) {
        plane.deleteGroup(actor, name);
        LOG.info("fleet change by {}: group {} deleted", actor, name);
    }

    @Override
    public StoredTarget createTarget(Actor actor, TargetSpec target) {
        return logged(actor, "created", plane.createTarget(actor, target));
    }

    @Override
    public StoredTarget replaceTarget(Actor actor, TargetSpec target, boolean keepPassword) {
        return logged(actor, "put", plane.replaceTarget(actor, target, keepPassword));
    }

    private static StoredTarget logged(Actor actor, String what, StoredTarget target) {
        LOG.info("fleet change by {}: target {} {} ({}, password {})", actor, target.id(), what, target.enabled() ? "enabled" : "disabled",
                target.passwordSet() ? "encrypted with key " + target.passwordKeyId() : "none");
        return target;
    }

    @Override
    public Optional<StoredTarget> target(String id) {
        return plane.target(id);
    }

    @Override
    public List<StoredTarget> targets(String group) {
        return plane.targets(group);
    }

    @Override
    public ConnectionReport testConnection(TargetSpec target, Duration timeout) {
        return plane.testConnection(target, timeout);
    }

    @Override
    public ConnectionReport testConnection(String targetId, Duration timeout) {
        return plane.testConnection(targetId, timeout);
    }

    @Override
    public ImportReport bulkImport(Actor actor, ImportBatch batch) {
        ImportReport report = plane.bulkImport(actor, batch);
        LOG.info("fleet change by {}: bulk import of {} {}: {}", actor, report.rows().size(), batch.kind(),
                report.imported() ? "imported" : batch.dryRun() ? "dry run, nothing written" : "refused, nothing written ("
                        + report.rows().stream().filter(r -> !r.ok()).count() + " rows with problems)");
        return report;
    }

    @Override
    public AlertRuleView putAlertRule(Actor actor, AlertRuleSpec rule) {
        AlertRuleView view = plane.putAlertRule(actor, rule);
        LOG.info("fleet change by {}: alert rule {} put ({} {} {} {})", actor, rule.id(), rule.family(), rule.field(), rule.operator(), rule.threshold());
        return view;
    }

    @Override
    public Optional<AlertRuleView> alertRule(String id) {
        return plane.alertRule(id);
    }

    @Override
    public List<AlertRuleView> alertRules() {
        return plane.alertRules();
    }

    @Override
    public void removeAlertRule(Actor actor, String id) {
        plane.removeAlertRule(actor, id);
        LOG.info("fleet change by {}: alert rule {} removed", actor, id);
    }

    @Override
    public StoredResponse idempotently(IdempotencyKey key, Supplier<StoredResponse> work) {
        return plane.idempotently(key, work);
    }

    @Override
    public void reconcile() {
        plane.reconcile();
    }

    @Override
    public Accounts accounts() {
        return accounts;
    }

    @Override
    public ResealReport resealSecrets(Actor actor) {
        ResealReport report = plane.resealSecrets(actor);
        LOG.info("fleet change by {}: secrets re-encrypted with key {}: {} target password(s), {} signing key(s), {} TOTP secret(s)",
                actor, report.keyId(), report.targetPasswords(), report.signingKeys(), report.totpSecrets());
        return report;
    }

    @Override
    public AuditTrail audit() {
        return plane.audit();
    }

    @Override
    public RateLimits rateLimits() {
        return plane.rateLimits();
    }

    @Override
    public boolean databaseUp() {
        return plane.databaseUp();
    }
}
