package io.pganalytics.fleet.admin;

import static io.pganalytics.fleet.admin.ControlDatabase.instant;
import static io.pganalytics.fleet.admin.ControlDatabase.one;
import static io.pganalytics.fleet.admin.ControlDatabase.query;

import io.pganalytics.config.InvalidValue;
import io.pganalytics.schemas.secret.SecretBox;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/** {@link Accounts} over the control-plane database. */
final class DatabaseAccounts implements Accounts {

    /** Revoked ids are kept this long: longer than any access token lives ({@code api.token.access.ttl} is at most 1 h). */
    static final java.time.Duration REVOCATION_KEPT = java.time.Duration.ofHours(1);
    private static final String USER_COLUMNS = "name, role, disabled_at, session_epoch, password_changed_at, created_at, created_by,"
            + " changed_at, totp_enabled_at, source";
    /** The issuer authenticator apps show beside the account. */
    static final String TOTP_ISSUER = "pgAnalytics";
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    private static final String REFRESH_PREFIX = "pga_rt_";
    private static final String ACTIVE_KEYS = "SELECT kid, algorithm, public_key, private_key_sealed, created_at FROM signing_keys"
            + " WHERE retired_at IS NULL ORDER BY created_at DESC";
    private static final DateTimeFormatter KID_DAY = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);

    private final ControlDatabase db;
    private final PasswordHasher hasher;
    private final SecretBox secrets;
    private final boolean ownsDatabase;
    private final LdapDirectory directory;

    DatabaseAccounts(ControlDatabase db, PasswordHasher hasher, SecretBox secrets, boolean ownsDatabase, LdapConfig ldap) {
        this.db = db;
        this.hasher = hasher;
        this.secrets = secrets;
        this.ownsDatabase = ownsDatabase;
        this.directory = ldap == null ? null : new LdapDirectory(ldap);
    }

    @Override
    public void close() {
        if (directory != null) {
            directory.close();
        }
        if (ownsDatabase) {
            db.close();
        }
    }

    // ======== users ========

    @Override
    public User createUser(Actor actor, NewUser user) {
        Objects.requireNonNull(actor, "actor");
        String hash = hasher.hash(user.password());
        return db.inTransaction(actor, "user.create", c -> {
            Optional<User> created = one(c, "INSERT INTO users (name, role, password_hash, created_by) VALUES (?, ?, ?, ?)"
                    + " ON CONFLICT (name) DO NOTHING RETURNING " + USER_COLUMNS, DatabaseAccounts::user,
                    user.name(), user.role(), hash, actor.name());
            return created.orElseThrow(() -> new ControlPlane.Conflict("user_exists", "a user named '" + user.name() + "' exists"));
        });
    }

    @Override
    public List<User> users() {
        return db.read(c -> query(c, "SELECT " + USER_COLUMNS + " FROM users ORDER BY name", DatabaseAccounts::user));
    }

    @Override
    public Optional<User> user(String name) {
        return db.read(c -> one(c, "SELECT " + USER_COLUMNS + " FROM users WHERE name = ?", DatabaseAccounts::user, name));
    }

    @Override
    public User resetPassword(Actor actor, String name, String newPassword) {
        Objects.requireNonNull(actor, "actor");
        requireLocal(name);
        PasswordPolicy.check("password", newPassword, name);
        return setPassword(actor, "user.reset-password", name, newPassword);
    }

    /** Stores a checked password: the user's sessions end (a new epoch, refresh tokens revoked). */
    private User setPassword(Actor actor, String action, String name, String newPassword) {
        String hash = hasher.hash(newPassword);
        return db.inTransaction(actor, action, c -> {
            User user = updateUser(c, name, "password_hash = ?, password_changed_at = now(), session_epoch = session_epoch + 1", hash);
            revokeRefreshTokens(c, name);
            return user;
        });
    }

    @Override
    public User changePassword(Actor actor, String name, String currentPassword, String newPassword) {
        Objects.requireNonNull(actor, "actor");
        requireLocal(name);
        String stored = db.read(c -> one(c, "SELECT password_hash FROM users WHERE name = ? AND disabled_at IS NULL",
                rs -> rs.getString(1), name)).orElse(null);
        if (stored == null || !hasher.verify(currentPassword, stored)) {
            throw new ControlPlane.NotAuthorized("the current password is wrong");
        }
        PasswordPolicy.check("newPassword", newPassword, name);
        if (newPassword.equals(currentPassword)) {
            throw new InvalidValue("newPassword", "must differ from the current password");
        }
        return setPassword(actor, "user.change-password", name, newPassword);
    }

    @Override
    public User setDisabled(Actor actor, String name, boolean disabled) {
        Objects.requireNonNull(actor, "actor");
        return db.inTransaction(actor, "user.set-disabled", c -> {
            if (!disabled) {
                return updateUser(c, name, "disabled_at = NULL");
            }
            User user = updateUser(c, name, "disabled_at = coalesce(disabled_at, now()), session_epoch = session_epoch + 1");
            revokeRefreshTokens(c, name);
            return user;
        });
    }

    @Override
    public User setRole(Actor actor, String name, String role) {
        Objects.requireNonNull(actor, "actor");
        Accounts.checkRole("role", role);
        return db.inTransaction(actor, "user.set-role", c -> updateUser(c, name, "role = ?", role));
    }

    @Override
    public User revokeSessions(Actor actor, String name) {
        Objects.requireNonNull(actor, "actor");
        return db.inTransaction(actor, "user.revoke-sessions", c -> {
            User user = updateUser(c, name, "session_epoch = session_epoch + 1");
            revokeRefreshTokens(c, name);
            return user;
        });
    }

    @Override
    public User authenticate(String name, String password, String secondFactor) {
        record Stored(User user, String hash) {
        }
        boolean plausible = name != null && NAME.matcher(name).matches();
        if (plausible) {
            Optional<Long> locked = db.read(c -> one(c, "SELECT ceil(extract(epoch FROM locked_until - now()))::bigint FROM login_failures"
                    + " WHERE account = ? AND locked_until > now()", rs -> rs.getLong(1), name));
            if (locked.isPresent()) {
                throw new LockedOut(Math.max(1, locked.get()));
            }
        }
        Optional<Stored> stored = !plausible ? Optional.empty()
                : db.read(c -> one(c, "SELECT " + USER_COLUMNS + ", password_hash FROM users WHERE name = ?",
                        rs -> new Stored(user(rs), rs.getString("password_hash")), name));
        boolean fromDirectory = plausible && directory != null && (stored.isEmpty() || stored.get().user().source().equals("ldap"));
        if (fromDirectory) {
            Optional<LdapDirectory.DirectoryUser> found = directory.authenticate(name, password);
            if (found.isEmpty() || stored.isPresent() && stored.get().user().disabled()) {
                recordFailure(name);
                throw new ControlPlane.NotAuthorized(LOGIN_REFUSED);
            }
            stored = Optional.of(new Stored(provisionExternal(new Actor("ldap:" + found.get().dn(), "system", "ldap"), name,
                    found.get().role(), "ldap"), null));
        }
        boolean ok;
        if (fromDirectory) {
            ok = true;
        } else if (stored.isEmpty() || stored.get().user().disabled() || stored.get().hash() == null) {
            hasher.verifyDecoy(password);
            ok = false;
        } else {
            ok = password != null && password.length() <= PasswordPolicy.MAX_LENGTH && hasher.verify(password, stored.get().hash());
        }
        if (!ok) {
            if (plausible) {
                recordFailure(name);
            }
            throw new ControlPlane.NotAuthorized(LOGIN_REFUSED);
        }
        if (stored.get().user().mfaEnabled()) {
            if (secondFactor == null || secondFactor.isBlank()) {
                throw new SecondFactorRequired();
            }
            if (!verifySecondFactor(name, secondFactor)) {
                // Six digits are guessable: wrong codes lock the name like wrong passwords.
                recordFailure(name);
                throw new ControlPlane.NotAuthorized(LOGIN_REFUSED);
            }
        }
        db.inTransaction(null, "login.succeeded", c -> ControlDatabase.update(c, "DELETE FROM login_failures WHERE account = ?", name));
        String oldHash = stored.get().hash();
        if (!fromDirectory && hasher.needsRehash(oldHash)) {
            String rehashed = hasher.hash(password);
            db.inTransaction(null, "user.rehash-password", c -> ControlDatabase.update(c, "UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?",
                    rehashed, name, oldHash));
        }
        return stored.get().user();
    }

    @Override
    public int syncDirectory() {
        if (directory == null) {
            return 0;
        }
        // One transaction, one replica: the others find the lock taken and skip this round.
        return db.inTransaction(c -> {
            if (!one(c, "SELECT pg_try_advisory_xact_lock(hashtext('pga.directory_sync'))", rs -> rs.getBoolean(1)).orElse(false)) {
                return 0;
            }
            List<User> users = query(c, "SELECT " + USER_COLUMNS + " FROM users WHERE source = 'ldap' AND disabled_at IS NULL",
                    DatabaseAccounts::user);
            Actor sync = new Actor("directory-sync", "system", "ldap");
            int changed = 0;
            for (User user : users) {
                Optional<LdapDirectory.DirectoryUser> now = directory.lookup(user.name());
                if (now.isEmpty()) {
                    ChangeLog.LOG.info("account change by the directory sync: user {} left the directory or every mapped group:"
                            + " disabled, sessions ended", user.name());
                    setDisabled(sync, user.name(), true);
                    changed++;
                } else if (!now.get().role().equals(user.role())) {
                    ChangeLog.LOG.info("account change by the directory sync: user {} now has role {}", user.name(), now.get().role());
                    setRole(sync, user.name(), now.get().role());
                    changed++;
                }
            }
            return changed;
        });
    }

    @Override
    public User provisionExternal(Actor actor, String name, String role, String source) {
        Objects.requireNonNull(actor, "actor");
        Accounts.checkRole("role", role);
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ControlPlane.NotAuthorized("the identity provider's user name " + ControlPlane.Texts.quoted(name)
                    + " is not a valid user name");
        }
        return db.inTransaction(actor, "user.provision", c -> {
            Optional<User> existing = one(c, "SELECT " + USER_COLUMNS + " FROM users WHERE name = ? FOR UPDATE", DatabaseAccounts::user, name);
            if (existing.isEmpty()) {
                ChangeLog.LOG.info("account change by {}: user {} signed in for the first time by {}, role {}", actor, name, source, role);
                return one(c, "INSERT INTO users (name, role, password_hash, source, created_by) VALUES (?, ?, NULL, ?, ?)"
                        + " RETURNING " + USER_COLUMNS, DatabaseAccounts::user, name, role, source, actor.name()).orElseThrow();
            }
            User user = existing.get();
            if (!user.source().equals(source) || user.disabled()) {
                throw new ControlPlane.NotAuthorized(user.disabled() ? "user '" + name + "' is disabled"
                        : "user '" + name + "' is a " + user.source() + " user; " + source + " cannot sign them in");
            }
            if (!user.role().equals(role)) {
                ChangeLog.LOG.info("account change by {}: user {} now has role {}", actor, name, role);
                return updateUser(c, name, "role = ?", role);
            }
            return user;
        });
    }

    @Override
    public void saveSsoRequest(String state, String nonce, String codeVerifier) {
        db.inTransaction(c -> ControlDatabase.update(c, "INSERT INTO sso_requests (state, nonce, code_verifier) VALUES (?, ?, ?)",
                state, nonce, codeVerifier));
    }

    @Override
    public boolean firstUseOfAssertion(String assertionId, Instant expiresAt) {
        return db.inTransaction(c -> ControlDatabase.update(c, "INSERT INTO sso_assertions (id, expires_at) VALUES (?, ?)"
                + " ON CONFLICT (id) DO NOTHING", assertionId, expiresAt)) == 1;
    }

    @Override
    public Optional<SsoRequest> takeSsoRequest(String state) {
        if (state == null || state.length() > 200) {
            return Optional.empty();
        }
        record Taken(SsoRequest request, boolean fresh) {
        }
        return db.inTransaction(c -> one(c, "DELETE FROM sso_requests WHERE state = ? RETURNING state, nonce, code_verifier,"
                + " created_at > now() - interval '10 minutes' AS fresh", rs -> new Taken(new SsoRequest(rs.getString("state"),
                        rs.getString("nonce"), rs.getString("code_verifier")), rs.getBoolean("fresh")), state))
                .filter(Taken::fresh).map(Taken::request);
    }

    @Override
    public <T> T attributed(Actor actor, java.util.function.Supplier<T> work) {
        return db.attributed(actor, work);
    }

    @Override
    public Optional<java.time.Duration> directorySyncInterval() {
        return directory == null ? Optional.empty() : Optional.of(directory.syncInterval());
    }

    /**
     * Counts a failed login of {@code name}: every {@link #LOCKOUT_EVERY}th consecutive one locks it, 1 minute the first
     * time and twice as long each time after, up to an hour. A day without failures starts the count again.
     */
    private void recordFailure(String name) {
        db.inTransaction(null, "login.failed", c -> ControlDatabase.update(c, """
                INSERT INTO login_failures (account, failures, last_failure_at) VALUES (?, 1, now())
                ON CONFLICT (account) DO UPDATE SET
                    failures = CASE WHEN login_failures.last_failure_at < now() - interval '1 day' THEN 1 ELSE login_failures.failures + 1 END,
                    last_failure_at = now(),
                    locked_until = CASE
                        WHEN login_failures.last_failure_at >= now() - interval '1 day' AND (login_failures.failures + 1) % ? = 0
                        THEN now() + least(interval '1 hour', interval '1 minute' * power(2, (login_failures.failures + 1) / ? - 1))
                        ELSE login_failures.locked_until END
                """, name, LOCKOUT_EVERY, LOCKOUT_EVERY));
    }

    @Override
    public boolean unlock(Actor actor, String name) {
        Objects.requireNonNull(actor, "actor");
        return db.inTransaction(actor, "user.unlock", c -> ControlDatabase.update(c, "DELETE FROM login_failures WHERE account = ?", name)) > 0;
    }

    private void requireLocal(String name) {
        user(name).filter(u -> !u.source().equals("local")).ifPresent(u -> {
            throw new ControlPlane.Conflict("directory_user", "the password of '" + name + "' is the directory's; change it there");
        });
    }

    // ======== second factor ========

    @Override
    public TotpEnrolment beginTotp(Actor actor, String name) {
        Objects.requireNonNull(actor, "actor");
        SecretBox box = requireSecrets();
        byte[] secret = Totp.newSecret(RANDOM);
        String sealed = box.encrypt(Base64.getEncoder().encodeToString(secret), "totp:" + name);
        return db.inTransaction(actor, "mfa.begin", c -> {
            User user = one(c, "SELECT " + USER_COLUMNS + " FROM users WHERE name = ? FOR UPDATE", DatabaseAccounts::user, name)
                    .orElseThrow(() -> new ControlPlane.NotFound("user", name));
            if (user.mfaEnabled()) {
                throw new ControlPlane.Conflict("mfa_enabled", "user '" + name + "' has a second factor; an admin resets it first");
            }
            ControlDatabase.update(c, "UPDATE users SET totp_pending_sealed = ? WHERE name = ?", sealed, name);
            return new TotpEnrolment(Totp.base32(secret), Totp.otpauthUri(TOTP_ISSUER, name, secret));
        });
    }

    @Override
    public List<String> confirmTotp(Actor actor, String name, String code) {
        Objects.requireNonNull(actor, "actor");
        return db.inTransaction(actor, "mfa.confirm", c -> {
            String pending = one(c, "SELECT totp_pending_sealed FROM users WHERE name = ? AND totp_enabled_at IS NULL FOR UPDATE",
                    rs -> rs.getString(1), name).orElse(null);
            if (pending == null) {
                throw new ControlPlane.Conflict("no_enrolment", "no TOTP enrolment of '" + name + "' is pending; begin one first");
            }
            byte[] secret = Base64.getDecoder().decode(requireSecrets().decrypt(pending, "totp:" + name));
            java.util.OptionalLong step = Totp.verify(secret, code, Instant.now(), 0);
            if (step.isEmpty()) {
                throw new InvalidValue("code", "not the current code of the secret being enrolled (check the phone's clock)");
            }
            ControlDatabase.update(c, "UPDATE users SET totp_secret_sealed = totp_pending_sealed, totp_pending_sealed = NULL,"
                    + " totp_last_step = ?, totp_enabled_at = now(), changed_at = clock_timestamp() WHERE name = ?", step.getAsLong(), name);
            ControlDatabase.update(c, "DELETE FROM backup_codes WHERE user_name = ?", name);
            List<String> codes = new java.util.ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String backup = backupCode();
                codes.add(backup);
                ControlDatabase.update(c, "INSERT INTO backup_codes (user_name, code_hash) VALUES (?, ?)", name,
                        DatabaseControlPlane.hash(normalisedBackupCode(backup)));
            }
            return List.copyOf(codes);
        });
    }

    @Override
    public boolean verifySecondFactor(String name, String code) {
        if (code == null || code.length() > 32) {
            return false;
        }
        return db.inTransaction(null, "mfa.verify", c -> {
            record Enrolled(String sealed, long lastStep) {
            }
            Optional<Enrolled> enrolled = one(c, "SELECT totp_secret_sealed, totp_last_step FROM users WHERE name = ?"
                    + " AND totp_enabled_at IS NOT NULL", rs -> new Enrolled(rs.getString(1), rs.getLong(2)), name);
            if (enrolled.isEmpty()) {
                return false;
            }
            long lastStep = enrolled.get().lastStep();
            byte[] secret = Base64.getDecoder().decode(requireSecrets().decrypt(enrolled.get().sealed(), "totp:" + name));
            java.util.OptionalLong step = Totp.verify(secret, code, Instant.now(), lastStep);
            if (step.isPresent()) {
                // Spent on every replica: a concurrent use of the same step finds totp_last_step moved and fails.
                return ControlDatabase.update(c, "UPDATE users SET totp_last_step = ? WHERE name = ? AND totp_last_step < ?",
                        step.getAsLong(), name, step.getAsLong()) == 1;
            }
            return ControlDatabase.update(c, "UPDATE backup_codes SET used_at = now() WHERE user_name = ? AND code_hash = ?"
                    + " AND used_at IS NULL", name, DatabaseControlPlane.hash(normalisedBackupCode(code))) == 1;
        });
    }

    @Override
    public User resetMfa(Actor actor, String name) {
        Objects.requireNonNull(actor, "actor");
        return db.inTransaction(actor, "mfa.reset", c -> {
            ControlDatabase.update(c, "DELETE FROM backup_codes WHERE user_name = ?", name);
            User user = updateUser(c, name, "totp_secret_sealed = NULL, totp_pending_sealed = NULL, totp_last_step = 0,"
                    + " totp_enabled_at = NULL, session_epoch = session_epoch + 1");
            revokeRefreshTokens(c, name);
            return user;
        });
    }

    /** Ten characters of an alphabet without look-alikes (no 0/O, 1/I/L): about 50 bits, shown as {@code xxxxx-xxxxx}. */
    private static String backupCode() {
        String alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
        StringBuilder code = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            if (i == 5) {
                code.append('-');
            }
            code.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return code.toString();
    }

    /** A backup code as typed, in any case, with or without its dash or spaces. */
    private static String normalisedBackupCode(String code) {
        return code.toLowerCase(java.util.Locale.ROOT).replace("-", "").replace(" ", "");
    }

    // ======== sessions ========

    @Override
    public Session openSession(String userName) {
        return db.inTransaction(null, "session.open", c -> {
            User user = one(c, "SELECT " + USER_COLUMNS + " FROM users WHERE name = ? AND disabled_at IS NULL", DatabaseAccounts::user, userName)
                    .orElseThrow(() -> new ControlPlane.NotAuthorized(LOGIN_REFUSED));
            return issueRefresh(c, user, UUID.randomUUID().toString());
        });
    }

    @Override
    public Session refresh(String refreshToken) {
        if (refreshToken == null || !refreshToken.startsWith(REFRESH_PREFIX) || refreshToken.length() > 100) {
            throw new ControlPlane.NotAuthorized("refresh token refused");
        }
        byte[] hash = DatabaseControlPlane.hash(refreshToken);
        // The replay's revocation must commit although the request fails: decided inside, thrown outside.
        Optional<Session> rotated = db.inTransaction(null, "session.refresh", c -> {
            record Presented(String family, String userName, Instant expiresAt, boolean used, boolean revoked) {
            }
            Optional<Presented> presented = one(c, "SELECT family, user_name, expires_at, used_at IS NOT NULL AS used,"
                    + " revoked_at IS NOT NULL AS revoked FROM refresh_tokens WHERE token_hash = ? FOR UPDATE",
                    rs -> new Presented(rs.getString("family"), rs.getString("user_name"), instant(rs, "expires_at"),
                            rs.getBoolean("used"), rs.getBoolean("revoked")), hash);
            if (presented.isEmpty() || presented.get().revoked() || presented.get().expiresAt().isBefore(Instant.now())) {
                return Optional.<Session>empty();
            }
            Presented token = presented.get();
            if (token.used()) {
                ChangeLog.LOG.warn("refresh token of family {} (user {}) presented again after its rotation: the family is revoked",
                        token.family(), token.userName());
                revokeFamily(c, token.family());
                return Optional.<Session>empty();
            }
            Optional<User> user = one(c, "SELECT " + USER_COLUMNS + " FROM users WHERE name = ? AND disabled_at IS NULL",
                    DatabaseAccounts::user, token.userName());
            if (user.isEmpty()) {
                return Optional.<Session>empty();
            }
            ControlDatabase.update(c, "UPDATE refresh_tokens SET used_at = now() WHERE token_hash = ?", hash);
            return Optional.of(issueRefresh(c, user.get(), token.family()));
        });
        return rotated.orElseThrow(() -> new ControlPlane.NotAuthorized("refresh token refused"));
    }

    @Override
    public void endSession(Actor actor, String tokenId, String family, Instant tokenExpiresAt) {
        Objects.requireNonNull(actor, "actor");
        db.inTransaction(actor, "session.end", c -> {
            if (tokenId != null) {
                ControlDatabase.update(c, "INSERT INTO revocations (id, kind, expires_at) VALUES (?, 'token', ?) ON CONFLICT (id) DO NOTHING",
                        tokenId, tokenExpiresAt == null ? Instant.now().plus(REVOCATION_KEPT) : tokenExpiresAt);
            }
            if (family != null) {
                revokeFamily(c, family);
            }
            return null;
        });
    }

    @Override
    public List<Revocation> revocationsSince(Instant since) {
        return db.read(c -> query(c, "SELECT id, kind, revoked_at FROM revocations WHERE revoked_at >= ? AND expires_at > now()",
                rs -> new Revocation(rs.getString("id"), rs.getString("kind"), instant(rs, "revoked_at")), since));
    }

    @Override
    public List<User> usersChangedSince(Instant since) {
        return db.read(c -> query(c, "SELECT " + USER_COLUMNS + " FROM users WHERE changed_at >= ?", DatabaseAccounts::user, since));
    }

    /** Deletes what can no longer matter: expired revocations, old refresh tokens and login failures, full rate-limit buckets. */
    @Override
    public int purgeExpired() {
        return db.inTransaction(Actor.SYSTEM, "purge-expired", c -> ControlDatabase.update(c, "DELETE FROM revocations WHERE expires_at < now()")
                + ControlDatabase.update(c, "DELETE FROM refresh_tokens WHERE expires_at < now()"
                        + " OR coalesce(used_at, revoked_at) < now() - interval '1 day'")
                + ControlDatabase.update(c, "DELETE FROM login_failures WHERE last_failure_at < now() - interval '1 day'"
                        + " AND (locked_until IS NULL OR locked_until < now())")
                + ControlDatabase.update(c, "DELETE FROM rate_limit_buckets WHERE expires_at < ?", System.currentTimeMillis())
                + ControlDatabase.update(c, "DELETE FROM sso_requests WHERE created_at < now() - interval '10 minutes'")
                + ControlDatabase.update(c, "DELETE FROM sso_assertions WHERE expires_at < now() - interval '1 hour'"));
    }

    // ======== signing keys ========

    @Override
    public List<SigningKey> signingKeys() {
        List<SigningKey> keys = activeKeys();
        if (!keys.isEmpty()) {
            return keys;
        }
        return db.inTransaction(c -> {
            // Replicas starting together on an empty ring make one key, not one each.
            one(c, "SELECT pg_advisory_xact_lock(hashtext('pga.signing_keys'))", rs -> Boolean.TRUE);
            List<SigningKey> again = query(c, ACTIVE_KEYS, this::signingKey);
            if (!again.isEmpty()) {
                return again;
            }
            return List.of(createKey(c, "pganalytics"));
        });
    }

    @Override
    public SigningKey rotateSigningKey(Actor actor) {
        Objects.requireNonNull(actor, "actor");
        return db.inTransaction(actor, "signing-key.rotate", c -> createKey(c, actor.name()));
    }

    @Override
    public int retireSigningKeys(Actor actor, Instant before) {
        Objects.requireNonNull(actor, "actor");
        return db.inTransaction(actor, "signing-key.retire", c -> ControlDatabase.update(c, "UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL"
                + " AND created_at < ? AND kid <> (SELECT kid FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1)", before));
    }

    private List<SigningKey> activeKeys() {
        return db.read(c -> query(c, ACTIVE_KEYS, this::signingKey));
    }

    private SigningKey createKey(Connection c, String createdBy) throws SQLException {
        SecretBox box = requireSecrets();
        KeyPair pair;
        try {
            pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is part of every JRE since 15", e);
        }
        String kid = "k-" + KID_DAY.format(Instant.now()) + "-" + DatabaseControlPlane.randomToken().substring(0, 8);
        String sealed = box.encrypt(Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()), "signing-key:" + kid);
        return one(c, "INSERT INTO signing_keys (kid, algorithm, public_key, private_key_sealed, created_by) VALUES (?, 'EdDSA', ?, ?, ?)"
                + " RETURNING kid, algorithm, public_key, private_key_sealed, created_at", this::signingKey,
                kid, pair.getPublic().getEncoded(), sealed, createdBy).orElseThrow();
    }

    private SigningKey signingKey(ResultSet rs) throws SQLException {
        String kid = rs.getString("kid");
        try {
            KeyFactory factory = KeyFactory.getInstance("Ed25519");
            byte[] privateKey = Base64.getDecoder().decode(requireSecrets().decrypt(rs.getString("private_key_sealed"), "signing-key:" + kid));
            return new SigningKey(kid, rs.getString("algorithm"),
                    factory.generatePublic(new X509EncodedKeySpec(rs.getBytes("public_key"))),
                    factory.generatePrivate(new PKCS8EncodedKeySpec(privateKey)), instant(rs, "created_at"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("signing key " + kid + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** Re-encrypts signing keys and TOTP secrets not sealed with {@code box}'s first key; returns {signing keys, TOTP secrets}. */
    int[] reseal(Connection c, SecretBox box) throws SQLException {
        String key = box.encryptingKeyId();
        int signing = 0;
        for (String[] row : query(c, "SELECT kid, private_key_sealed FROM signing_keys FOR UPDATE",
                rs -> new String[] {rs.getString(1), rs.getString(2)})) {
            if (!key.equals(SecretBox.keyIdOf(row[1]))) {
                String context = "signing-key:" + row[0];
                ControlDatabase.update(c, "UPDATE signing_keys SET private_key_sealed = ? WHERE kid = ?",
                        box.encrypt(box.decrypt(row[1], context), context), row[0]);
                signing++;
            }
        }
        int totp = 0;
        for (String[] row : query(c, "SELECT name, totp_secret_sealed, totp_pending_sealed FROM users"
                + " WHERE totp_secret_sealed IS NOT NULL OR totp_pending_sealed IS NOT NULL FOR UPDATE",
                rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3)})) {
            String context = "totp:" + row[0];
            String active = row[1] == null || key.equals(SecretBox.keyIdOf(row[1])) ? row[1] : box.encrypt(box.decrypt(row[1], context), context);
            String pending = row[2] == null || key.equals(SecretBox.keyIdOf(row[2])) ? row[2] : box.encrypt(box.decrypt(row[2], context), context);
            if (!java.util.Objects.equals(active, row[1]) || !java.util.Objects.equals(pending, row[2])) {
                ControlDatabase.update(c, "UPDATE users SET totp_secret_sealed = ?, totp_pending_sealed = ? WHERE name = ?", active, pending, row[0]);
                totp++;
            }
        }
        return new int[] {signing, totp};
    }

    private SecretBox requireSecrets() {
        if (secrets == null) {
            throw new InvalidValue(SecretBox.KEYS, "required to seal the API's signing keys (keyId:base64Key; `pganalytics fleet keygen` makes one)");
        }
        return secrets;
    }

    // ======== helpers ========

    private Session issueRefresh(Connection c, User user, String family) throws SQLException {
        String token = REFRESH_PREFIX + DatabaseControlPlane.randomToken();
        Instant expiresAt = Instant.now().plus(REFRESH_LIFETIME);
        ControlDatabase.update(c, "INSERT INTO refresh_tokens (token_hash, family, user_name, expires_at) VALUES (?, ?::uuid, ?, ?)",
                DatabaseControlPlane.hash(token), family, user.name(), expiresAt);
        return new Session(user, family, token, expiresAt);
    }

    private static void revokeFamily(Connection c, String family) throws SQLException {
        ControlDatabase.update(c, "UPDATE refresh_tokens SET revoked_at = now() WHERE family = ?::uuid AND revoked_at IS NULL", family);
        ControlDatabase.update(c, "INSERT INTO revocations (id, kind, expires_at) VALUES (?, 'family', ?) ON CONFLICT (id) DO NOTHING",
                family, Instant.now().plus(REVOCATION_KEPT));
    }

    private static void revokeRefreshTokens(Connection c, String userName) throws SQLException {
        ControlDatabase.update(c, "UPDATE refresh_tokens SET revoked_at = now() WHERE user_name = ? AND revoked_at IS NULL", userName);
    }

    /** Updates one user's row ({@code changed_at} with it) and returns it; {@link ControlPlane.NotFound} when there is none. */
    private static User updateUser(Connection c, String name, String set, Object... params) throws SQLException {
        Object[] all = new Object[params.length + 1];
        System.arraycopy(params, 0, all, 0, params.length);
        all[params.length] = name;
        return one(c, "UPDATE users SET " + set + ", changed_at = clock_timestamp() WHERE name = ? RETURNING " + USER_COLUMNS,
                DatabaseAccounts::user, all).orElseThrow(() -> new ControlPlane.NotFound("user", name));
    }

    private static User user(ResultSet rs) throws SQLException {
        return new User(rs.getString("name"), rs.getString("role"), rs.getTimestamp("disabled_at") != null,
                rs.getInt("session_epoch"), instant(rs, "password_changed_at"), instant(rs, "created_at"),
                rs.getString("created_by"), instant(rs, "changed_at"), rs.getTimestamp("totp_enabled_at") != null,
                rs.getString("source"));
    }

}
