package io.pganalytics.fleet.admin;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One log line per change of an account, naming its actor, around any {@link Accounts}: where the audit trail hooks
 * in, as {@link ChangeLog} is for the fleet. Never a password, a hash or a token; failed logins are the API's to log.
 */
class AccountsChangeLog implements Accounts {

    private final Accounts delegate;

    AccountsChangeLog(Accounts delegate) {
        this.delegate = delegate;
    }

    @Override
    public <T> T attributed(Actor actor, java.util.function.Supplier<T> work) {
        return delegate.attributed(actor, work);
    }

    @Override
    public User createUser(Actor actor, NewUser user) {
        User created = delegate.createUser(actor, user);
        ChangeLog.LOG.info("account change by {}: user {} created with role {}", actor, created.name(), created.role());
        return created;
    }

    @Override
    public List<User> users() {
        return delegate.users();
    }

    @Override
    public Optional<User> user(String name) {
        return delegate.user(name);
    }

    @Override
    public User resetPassword(Actor actor, String name, String newPassword) {
        User user = delegate.resetPassword(actor, name, newPassword);
        ChangeLog.LOG.info("account change by {}: password of user {} reset, its sessions ended", actor, name);
        return user;
    }

    @Override
    public User changePassword(Actor actor, String name, String currentPassword, String newPassword) {
        User user = delegate.changePassword(actor, name, currentPassword, newPassword);
        ChangeLog.LOG.info("account change by {}: user {} changed their password, their other sessions ended", actor, name);
        return user;
    }

    @Override
    public User setDisabled(Actor actor, String name, boolean disabled) {
        User user = delegate.setDisabled(actor, name, disabled);
        ChangeLog.LOG.info("account change by {}: user {} {}", actor, name, disabled ? "disabled, its sessions ended" : "enabled");
        return user;
    }

    @Override
    public User setRole(Actor actor, String name, String role) {
        User user = delegate.setRole(actor, name, role);
        ChangeLog.LOG.info("account change by {}: user {} now has role {}", actor, name, role);
        return user;
    }

    @Override
    public User revokeSessions(Actor actor, String name) {
        User user = delegate.revokeSessions(actor, name);
        ChangeLog.LOG.info("account change by {}: every session of user {} revoked", actor, name);
        return user;
    }

    @Override
    public User authenticate(String name, String password, String secondFactor) {
        return delegate.authenticate(name, password, secondFactor);
    }

    @Override
    public boolean unlock(Actor actor, String name) {
        boolean unlocked = delegate.unlock(actor, name);
        ChangeLog.LOG.info("account change by {}: login lockout of {} {}", actor, ControlPlane.Texts.quoted(name),
                unlocked ? "lifted" : "not in force, nothing to lift");
        return unlocked;
    }

    @Override
    public TotpEnrolment beginTotp(Actor actor, String name) {
        TotpEnrolment enrolment = delegate.beginTotp(actor, name);
        ChangeLog.LOG.info("account change by {}: TOTP enrolment of user {} begun", actor, name);
        return enrolment;
    }

    @Override
    public List<String> confirmTotp(Actor actor, String name, String code) {
        List<String> codes = delegate.confirmTotp(actor, name, code);
        ChangeLog.LOG.info("account change by {}: TOTP of user {} confirmed, {} backup codes made", actor, name, codes.size());
        return codes;
    }

    @Override
    public boolean verifySecondFactor(String name, String code) {
        return delegate.verifySecondFactor(name, code);
    }

    @Override
    public User resetMfa(Actor actor, String name) {
        User user = delegate.resetMfa(actor, name);
        ChangeLog.LOG.info("account change by {}: second factor of user {} removed, its sessions ended", actor, name);
        return user;
    }

    @Override
    public int syncDirectory() {
        int changed = delegate.syncDirectory();
        if (changed > 0) {
            ChangeLog.LOG.info("account change by the directory sync: {} user(s) disabled or given another role", changed);
        }
        return changed;
    }

    @Override
    public Optional<java.time.Duration> directorySyncInterval() {
        return delegate.directorySyncInterval();
    }

    @Override
    public User provisionExternal(Actor actor, String name, String role, String source) {
        return delegate.provisionExternal(actor, name, role, source);
    }

    @Override
    public void saveSsoRequest(String state, String nonce, String codeVerifier) {
        delegate.saveSsoRequest(state, nonce, codeVerifier);
    }

    @Override
    public boolean firstUseOfAssertion(String assertionId, Instant expiresAt) {
        return delegate.firstUseOfAssertion(assertionId, expiresAt);
    }

    @Override
    public Optional<SsoRequest> takeSsoRequest(String state) {
        return delegate.takeSsoRequest(state);
    }

    @Override
    public Session openSession(String userName) {
        return delegate.openSession(userName);
    }

    @Override
    public Session refresh(String refreshToken) {
        return delegate.refresh(refreshToken);
    }

    @Override
    public void endSession(Actor actor, String tokenId, String family, Instant tokenExpiresAt) {
        delegate.endSession(actor, tokenId, family, tokenExpiresAt);
        ChangeLog.LOG.info("account change by {}: session {} ended (token {} revoked)", actor, family, tokenId);
    }

    @Override
    public List<Revocation> revocationsSince(Instant since) {
        return delegate.revocationsSince(since);
    }

    @Override
    public List<User> usersChangedSince(Instant since) {
        return delegate.usersChangedSince(since);
    }

    @Override
    public int purgeExpired() {
        return delegate.purgeExpired();
    }

    @Override
    public List<SigningKey> signingKeys() {
        return delegate.signingKeys();
    }

    @Override
    public SigningKey rotateSigningKey(Actor actor) {
        SigningKey key = delegate.rotateSigningKey(actor);
        ChangeLog.LOG.info("account change by {}: signing key {} created, it signs from now on", actor, key.kid());
        return key;
    }

    @Override
    public int retireSigningKeys(Actor actor, Instant before) {
        int retired = delegate.retireSigningKeys(actor, before);
        ChangeLog.LOG.info("account change by {}: {} signing key(s) created before {} retired", actor, retired, before);
        return retired;
    }

    @Override
    public void close() {
        delegate.close();
    }
}
