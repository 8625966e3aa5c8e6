package io.pganalytics.fleet.admin;

import io.pganalytics.config.InvalidValue;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Local accounts, their sessions, the API's signing keys and revocations, in the control-plane database: what the
 * API's login and the {@code pganalytics users} command both call (one write path, ARCHITECTURE §3). Every change
 * names its {@link Actor}. A refused credential is {@link ControlPlane.NotAuthorized} with one message whatever the
 * reason, so that an answer tells an attacker nothing.
 */
public interface Accounts extends AutoCloseable {

    /** The roles a user can hold, from most to least rights; {@code auditor} reads the audit trail and nothing else. */
    List<String> ROLES = List.of("admin", "user", "viewer", "auditor");

    /** User names: 1 to 64 lower-case letters, digits, '.', '_', '-' or '@' (an e-mail address will do). */
    Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._@-]{0,63}");

    /** How long a refresh token stays valid when unused. */
    Duration REFRESH_LIFETIME = Duration.ofDays(7);

    /** Every this-many consecutive failed logins lock an account name: 1 minute, then twice as long each time, up to an hour. */
    int LOCKOUT_EVERY = 5;

    /** The one answer to a login that fails, whatever failed. */
    String LOGIN_REFUSED = "unknown user or wrong password";

    // ---- users ----

    /** @throws ControlPlane.Conflict ({@code user_exists}) when the name is taken */
    User createUser(Actor actor, NewUser user);

    List<User> users();

    Optional<User> user(String name);

    /** An admin sets a new password: the user's sessions end (tokens of the old epoch are refused). */
    User resetPassword(Actor actor, String name, String newPassword);

    /** The user changes their own password, proving the current one; their other sessions end. */
    User changePassword(Actor actor, String name, String currentPassword, String newPassword);

    /** Disables (or enables) a user; disabling ends their sessions. */
    User setDisabled(Actor actor, String name, boolean disabled);

    /** Changes a user's role; takes effect on the next request (replicas' caches follow within a second). */
    User setRole(Actor actor, String name, String role);

    /** Ends every session of a user: refresh tokens revoked, access tokens of the current epoch refused. */
    User revokeSessions(Actor actor, String name);

    /**
     * The enabled user with this name and password; rehashes the password when the hasher's parameters changed.
     * An unknown name costs as long as a wrong password.
     *
     * @throws ControlPlane.NotAuthorized with {@link #LOGIN_REFUSED}
     * @throws LockedOut while the name is locked after {@link #LOCKOUT_EVERY} consecutive failures (the password is
     *                   not even checked, so the right one is refused too)
     */
    default User authenticate(String name, String password) {
        return authenticate(name, password, null);
    }

    /**
     * As {@link #authenticate(String, String)}, with the second factor of a user who has one: their current TOTP code
     * or an unused backup code (spent). A wrong code counts as a failed login.
     *
     * @throws SecondFactorRequired when the password is right, the user has a second factor and no code was given
     */
    User authenticate(String name, String password, String secondFactor);

    /** Lifts the lockout of an account name after failed logins; returns whether there was one. */
    boolean unlock(Actor actor, String name);

    // ---- second factor ----

    /**
     * Starts (or restarts) TOTP enrolment of a user who proved their password: a new secret, pending until
     * {@link #confirmTotp} sees a first code of it.
     *
     * @throws ControlPlane.Conflict ({@code mfa_enabled}) when the user has a second factor already
     */
    TotpEnrolment beginTotp(Actor actor, String name);

    /** Turns the pending secret on when {@code code} is one of its codes; answers ten one-time backup codes (shown once). */
    List<String> confirmTotp(Actor actor, String name, String code);

    /**
     * Whether {@code code} is the user's current TOTP code (a step not used before) or one of their unused backup
     * codes; either is spent by this call, on every replica.
     */
    boolean verifySecondFactor(String name, String code);

    /** Removes a user's second factor and backup codes (an admin, for a lost phone); their sessions end. */
    User resetMfa(Actor actor, String name);

    // ---- directory ----

    /**
     * Checks every enabled user signed in from the directory against it: one who left it or lost every mapped group is
     * disabled (sessions end), one whose groups now grant another role gets it. One process at a time does (a lock).
     *
     * @return how many users changed; 0 without a directory, or when another process is syncing
     */
    int syncDirectory();

    // ---- single sign-on ----

    /**
     * The user an identity provider vouched for (its token already validated): made on the first sign-in with
     * {@code source}, their role kept as the provider's groups say now. A disabled user, or a local or directory user
     * of that name, is refused: a provider cannot take over an account it did not make.
     *
     * @throws ControlPlane.NotAuthorized when the user may not sign in this way
     */
    User provisionExternal(Actor actor, String name, String role, String source);

    /** Keeps an authorization request in flight (its state, nonce and PKCE verifier) for the callback, 10 minutes. */
    void saveSsoRequest(String state, String nonce, String codeVerifier);

    /** Takes the request of {@code state} (once: a replayed callback finds nothing); empty when unknown or older than 10 minutes. */
    Optional<SsoRequest> takeSsoRequest(String state);

    /**
     * Records that an identity provider's assertion was used: true the first time, false for a replay (on any replica).
     * Kept until {@code expiresAt}, after which the provider's own expiry refuses it.
     */
    boolean firstUseOfAssertion(String assertionId, Instant expiresAt);

    /** An authorization request in flight. */
    record SsoRequest(String state, String nonce, String codeVerifier) {
    }

    /**
     * Runs {@code work} with its changes attributed to {@code actor} in the audit trail: for the calls that take no
     * actor because nobody is signed in yet (sign-in, refresh, the second factor), so that a failed login is recorded
     * with the name tried and the client's address.
     */
    default <T> T attributed(Actor actor, java.util.function.Supplier<T> work) {
        return work.get();
    }

    /** How often {@link #syncDirectory} should run; empty without a directory. */
    default Optional<Duration> directorySyncInterval() {
        return Optional.empty();
    }

    // ---- sessions ----

    /** Starts a session of an authenticated user: a new refresh family and its first token. */
    Session openSession(String userName);

    /**
     * Rotates a refresh token: the presented one is spent and a new one of the same family returned. A token of the
     * family already spent (a replay: two parties hold it) revokes the whole family.
     *
     * @throws ControlPlane.NotAuthorized when the token is unknown, spent, revoked, expired, or its user disabled
     */
    Session refresh(String refreshToken);

    /** Ends one session: the access token's id and the refresh family are revoked. */
    void endSession(Actor actor, String tokenId, String family, Instant tokenExpiresAt);

    /** Ids (access-token {@code jti}s and refresh families) revoked at or after {@code since}, with when. */
    List<Revocation> revocationsSince(Instant since);

    /** Users changed at or after {@code since} (all of them for {@link Instant#EPOCH}). */
    List<User> usersChangedSince(Instant since);

    /** Deletes what can no longer matter (expired revocations, old refresh tokens); returns how many rows. */
    int purgeExpired();

    // ---- signing keys ----

    /** Every signing key not retired, newest first; creates the first when there is none. */
    List<SigningKey> signingKeys();

    /** A new signing key that signs from now on; the others keep verifying until {@link #retireSigningKeys}. */
    SigningKey rotateSigningKey(Actor actor);

    /** Retires every key but the newest that was created before {@code before}; returns how many. */
    int retireSigningKeys(Actor actor, Instant before);

    /** Releases what this instance opened itself (nothing when it belongs to a {@link ControlPlane}). */
    @Override
    default void close() {
    }

    // ======== values ========

    /** A user as stored (never the password hash). */
    record User(String name, String role, boolean disabled, int sessionEpoch, Instant passwordChangedAt,
                Instant createdAt, String createdBy, Instant changedAt, boolean mfaEnabled, String source) {
    }

    /** A user to create: name and role checked, the password against the policy. */
    record NewUser(String name, String role, String password) {
        public NewUser {
            Problems problems = new Problems();
            problems.check(() -> checkName("name", name));
            problems.check(() -> checkRole("role", role));
            problems.check(() -> PasswordPolicy.check("password", password, name));
            problems.throwIfAny();
        }

        @Override
        public String toString() {
            return "NewUser[name=" + name + ", role=" + role + ", password=***]";
        }
    }

    /** A session's refresh token (shown once, stored hashed), its family and its user as of now. */
    record Session(User user, String family, String refreshToken, Instant refreshExpiresAt) {
        @Override
        public String toString() {
            return "Session[user=" + user.name() + ", family=" + family + ", refreshToken=***]";
        }
    }

    /** @param kind {@code token} (an access token's jti) or {@code family} (a refresh family and its access tokens) */
    record Revocation(String id, String kind, Instant revokedAt) {
    }

    /** A pending TOTP secret: what an authenticator app needs, shown to the user once. */
    record TotpEnrolment(String secretBase32, String otpauthUri) {
        @Override
        public String toString() {
            return "TotpEnrolment[***]";
        }
    }

    /** A signing key of the API's access tokens; the private key is decrypted in memory only. */
    record SigningKey(String kid, String algorithm, PublicKey publicKey, PrivateKey privateKey, Instant createdAt) {
        @Override
        public String toString() {
            return "SigningKey[kid=" + kid + ", algorithm=" + algorithm + ", createdAt=" + createdAt + "]";
        }
    }

    /** The password was right, and the user has a second factor: the login wants its code too. */
    final class SecondFactorRequired extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public SecondFactorRequired() {
            super("this account has a second factor: send its current code (or a backup code) as \"code\"", null, false, false);
        }
    }

    /** A login refused without looking at the password: the name is locked after failed logins. */
    final class LockedOut extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final long retryAfterSeconds;

        public LockedOut(long retryAfterSeconds) {
            super("too many failed logins for this name; try again in " + retryAfterSeconds + " s or ask an admin to unlock it",
                    null, false, false);
            this.retryAfterSeconds = retryAfterSeconds;
        }

        public long retryAfterSeconds() {
            return retryAfterSeconds;
        }
    }

    /** What a password must be. */
    final class PasswordPolicy {
        /** NIST SP 800-63B asks for 8 at least; 12 for accounts that can change a monitoring fleet. */
        public static final int MIN_LENGTH = 12;
        /** Long enough for any passphrase, short enough that hashing it is no denial of service. */
        public static final int MAX_LENGTH = 256;

        private static final String ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

        private PasswordPolicy() {
        }

        /** A random password that meets the policy: 20 characters of 57, about 117 bits; shown once, never stored. */
        public static String generate() {
            StringBuilder password = new StringBuilder();
            for (int i = 0; i < 20; i++) {
                password.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
            }
            return password.toString();
        }

        /** @throws InvalidValue at {@code path} when {@code password} breaks the policy (the password is never echoed) */
        public static String check(String path, String password, String userName) {
            if (password == null || password.codePointCount(0, password.length()) < MIN_LENGTH) {
                throw new InvalidValue(path, "expected at least " + MIN_LENGTH + " characters");
            }
            if (password.length() > MAX_LENGTH) {
                throw new InvalidValue(path, "expected at most " + MAX_LENGTH + " characters");
            }
            if (password.isBlank() || password.chars().distinct().count() < 4) {
                throw new InvalidValue(path, "expected at least 4 different characters");
            }
            if (userName != null && !userName.isBlank() && password.toLowerCase(java.util.Locale.ROOT).contains(userName.toLowerCase(java.util.Locale.ROOT))) {
                throw new InvalidValue(path, "must not contain the user name");
            }
            return password;
        }
    }

    /** @throws InvalidValue at {@code path} for a name that does not follow {@link #NAME} */
    static String checkName(String path, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidValue(path, "expected 1 to 64 lower-case letters, digits, '.', '_', '-' or '@', starting with a letter or digit"
                    + (name == null ? "" : ", got " + ControlPlane.Texts.quoted(name)));
        }
        return name;
    }

    /**
     * Reads {@code role=group} pairs separated by {@code ;} (a group may be a DN, with its own '=' and ','), as
     * {@code ldap.role.groups} and {@code oidc.role.groups} take them; each bad pair is handed to {@code reject}.
     */
    static java.util.Map<String, String> parseRoleGroups(String mapping, java.util.function.Consumer<String> reject) {
        java.util.Map<String, String> roles = new java.util.LinkedHashMap<>();
        if (mapping == null) {
            return roles;
        }
        for (String pair : mapping.split(";")) {
            int eq = pair.indexOf('=');
            String role = eq < 0 ? pair.strip() : pair.substring(0, eq).strip();
            if (eq < 0 || !ROLES.contains(role) || pair.substring(eq + 1).isBlank()) {
                reject.accept("expected role=group pairs with roles of " + ROLES + ", got '" + pair.strip() + "'");
                continue;
            }
            roles.put(role, pair.substring(eq + 1).strip());
        }
        return roles;
    }

    /** The highest of {@link #ROLES} whose group (in {@code roleGroups}) is among {@code groups}; empty when none is. */
    static Optional<String> highestRole(java.util.Map<String, String> roleGroups, java.util.Collection<String> groups) {
        return ROLES.stream().filter(role -> roleGroups.containsKey(role) && groups.contains(roleGroups.get(role))).findFirst();
    }

    /** @throws InvalidValue at {@code path} for a role not in {@link #ROLES} */
    static String checkRole(String path, String role) {
        if (role == null || !ROLES.contains(role)) {
            throw new InvalidValue(path, "expected one of " + String.join(", ", ROLES)
                    + (role == null ? "" : ", got " + ControlPlane.Texts.quoted(role)));
        }
        return role;
    }
}
