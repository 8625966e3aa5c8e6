package io.pganalytics.api.accounts;

import io.javalin.http.Context;
import io.pganalytics.api.auth.Access;
import io.pganalytics.api.auth.AccessTokenResolver;
import io.pganalytics.api.auth.Principal;
import io.pganalytics.api.auth.RequestLimiter;
import io.pganalytics.api.auth.Role;
import io.pganalytics.api.auth.SessionCache;
import io.pganalytics.api.auth.TokenAuthority;
import io.pganalytics.api.http.ApiException;
import io.pganalytics.api.http.StrictJson;
import io.pganalytics.api.routes.RouteTable;
import io.pganalytics.fleet.admin.Accounts;
import io.pganalytics.fleet.admin.Actor;
import io.pganalytics.fleet.admin.ControlPlane;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sign-in and accounts over HTTP (docs/security.md): login, refresh, logout, the caller's own account and password,
 * the public keys, and the admin's user management. Every change goes through {@link Accounts} with an
 * {@link Actor} of the principal, as the command line's {@code pganalytics users} does.
 */
public final class AccountRoutes {

    private static final Logger LOG = LoggerFactory.getLogger(AccountRoutes.class);

    private final Accounts accounts;
    private final TokenAuthority authority;
    private final SessionCache sessions;
    private final RequestLimiter limiter;
    private final java.util.List<String> mfaRequiredRoles;
    private final OidcSignIn oidc;
    private final SamlSignIn saml;

    public AccountRoutes(Accounts accounts, TokenAuthority authority, SessionCache sessions, RequestLimiter limiter,
                         java.util.List<String> mfaRequiredRoles, OidcConfig oidc, SamlConfig saml) {
        this.oidc = oidc == null ? null : new OidcSignIn(oidc, accounts);
        this.saml = saml == null ? null : new SamlSignIn(saml, accounts);
        this.accounts = accounts;
        this.authority = authority;
        this.sessions = sessions;
        this.limiter = limiter;
        this.mfaRequiredRoles = java.util.List.copyOf(mfaRequiredRoles);
    }

    /** @param code the second factor's code (TOTP or backup), for users who have one */
    record Login(String name, String password, String code) {
        @Override
        public String toString() {
            return "Login[name=" + name + ", password=***, code=***]";
        }
    }

    record Refresh(String refreshToken) {
    }

    record PasswordChange(String currentPassword, String newPassword) {
    }

    record NewUser(String name, String role, String password) {
    }

    record RoleChange(String role) {
    }

    record PasswordReset(String password) {
    }

    /** A route that takes no body: an empty one, or {@code {}}; anything else is a 400. */
    record NoBody() {
    }

    public void register(RouteTable table) {
        registerSso(table);
        Access admin = Access.atLeast(Role.ADMIN);
        Access signedIn = Access.signedIn();
        table.post("/api/v1/auth/login", Access.open(),
                        "signs in with a name and password: an access token (JWT, 15 min) and a refresh token (7 days, one use)",
                        200, this::login)
                .post("/api/v1/auth/refresh", Access.open(),
                        "trades a refresh token for a new pair; a refresh token used twice ends its whole session", 200, this::refresh)
                .post("/api/v1/auth/logout", signedIn, "ends the caller's session: its access token and refresh tokens revoked",
                        204, this::logout)
                .get("/api/v1/auth/me", signedIn, "who the caller is: name, role and how they signed in", this::me)
                .post("/api/v1/auth/password", signedIn,
                        "changes the caller's password, proving the current one; every other session ends, a new pair is answered",
                        200, this::changePassword)
                .post("/api/v1/auth/mfa/enrol", Access.open(),
                        "TOTP enrolment with name and password: a new secret, its otpauth URI and QR code (PNG, base64)", 200,
                        this::enrol)
                .post("/api/v1/auth/mfa/confirm", Access.open(),
                        "confirms TOTP enrolment with the first code; answers ten one-time backup codes (shown once)", 200,
                        this::confirm)
                .post("/api/v1/users/{name}/mfa/reset", admin, "removes a user's second factor (a lost phone); their sessions end",
                        200, ctx -> changed(ctx, accounts.resetMfa(actor(ctx), existing(ctx))))
                .get("/.well-known/jwks.json", Access.open(), "the public keys that verify access tokens (JWK Set)",
                        ctx -> ctx.json(authority.jwks()))
                .get("/api/v1/users", admin, "the local users (never their password hashes)",
                        ctx -> ctx.json(Map.of("items", accounts.users())))
                .post("/api/v1/users", admin, "creates a local user with a role and a password that meets the policy", 201,
                        this::createUser)
                .get("/api/v1/users/{name}", admin, "one user", ctx -> ctx.json(user(ctx.pathParam("name"))))
                .put("/api/v1/users/{name}/role", admin, "changes a user's role; tokens already issued follow within a second",
                        this::setRole)
                .post("/api/v1/users/{name}/password", admin, "sets a new password for a user; their sessions end", 200,
                        this::resetPassword)
                .post("/api/v1/users/{name}/disable", admin, "disables a user; their sessions end", 200,
                        ctx -> changed(ctx, accounts.setDisabled(actor(ctx), existing(ctx), true)))
                .post("/api/v1/users/{name}/enable", admin, "enables a disabled user", 200,
                        ctx -> changed(ctx, accounts.setDisabled(actor(ctx), existing(ctx), false)))
                .post("/api/v1/users/{name}/unlock", admin, "lifts the lockout of a name after failed logins", 200,
                        this::unlock)
                .delete("/api/v1/users/{name}/sessions", admin, "ends every session of a user", 200,
                        ctx -> changed(ctx, accounts.revokeSessions(actor(ctx), existing(ctx))));
    }

    /** The single sign-on routes of the providers configured (OIDC, SAML). */
    private void registerSso(RouteTable table) {
        if (saml != null) {
            table.get("/api/v1/auth/saml/metadata", Access.open(), "this API's SAML service-provider metadata",
                            ctx -> ctx.contentType("application/samlmetadata+xml").result(saml.metadata()))
                    .post(io.pganalytics.api.http.HttpHygiene.SAML_ACS_PATH, Access.open(),
                            "the SAML HTTP-POST binding's assertion consumer service: a signed assertion in, this API's token pair out",
                            200, ctx -> {
                                limiter.chargeLogin(ctx);
                                Accounts.User user = accounts.attributed(RouteTable.attempt(ctx, null, "saml"),
                                        () -> saml.consume(ctx.formParam("SAMLResponse"), ctx.ip()));
                                sessions.changedHere(user);
                                ctx.json(pair(openSession(ctx, user, "saml")));
                            });
        }
        if (oidc == null) {
            return;
        }
        table.get("/api/v1/auth/oidc/login", Access.open(),
                        "starts OIDC sign-in: 302 to the provider with state, nonce and a PKCE challenge", ctx -> {
                            limiter.chargeLogin(ctx);
                            ctx.status(302).header("Location", oidc.authorizationUrl().toString());
                        })
                .get("/api/v1/auth/oidc/callback", Access.open(),
                        "the provider's redirect: the code exchanged, the ID token checked, this API's own token pair answered", ctx -> {
                            limiter.chargeLogin(ctx);
                            Accounts.User user = accounts.attributed(RouteTable.attempt(ctx, null, "oidc"),
                                    () -> oidc.callback(ctx.queryParam("code"), ctx.queryParam("state"), ctx.queryParam("error"), ctx.ip()));
                            sessions.changedHere(user);
                            ctx.json(pair(openSession(ctx, user, "oidc")));
                        });
    }

    private void login(Context ctx) {
        Login body = StrictJson.body(ctx, Login.class, null);
        Accounts.User user = authenticate(ctx, body);
        if (mfaRequiredRoles.contains(user.role()) && !user.mfaEnabled()) {
            throw new ApiException(403, "mfa_enrolment_required", "role " + user.role() + " signs in with a second factor: "
                    + "enrol one with POST /api/v1/auth/mfa/enrol, then POST /api/v1/auth/mfa/confirm");
        }
        sessions.changedHere(user);
        ctx.json(pair(openSession(ctx, user, user.source().equals("local") ? "password" : user.source())));
    }

    /** A user who proved their password in this request, as the actor of what they do in it. */
    private static Actor proven(Context ctx, Accounts.User user) {
        Actor attempt = RouteTable.attempt(ctx, user.name(), "password");
        return new Actor(attempt.name(), user.role(), attempt.from(), attempt.method(), attempt.userAgent(), attempt.requestId());
    }

    /** A new session of {@code user}, recorded in the audit trail as theirs, from this request. */
    private Accounts.Session openSession(Context ctx, Accounts.User user, String method) {
        return accounts.attributed(RouteTable.attempt(ctx, user.name(), method), () -> accounts.openSession(user.name()));
    }

    /** A login's check, charged to the client's address: the password, and the second factor of a user who has one. */
    private Accounts.User authenticate(Context ctx, Login body) {
        limiter.chargeLogin(ctx);
        try {
            return accounts.attributed(RouteTable.attempt(ctx, body.name(), "password"),
                    () -> accounts.authenticate(body.name(), body.password(), body.code()));
        } catch (Accounts.SecondFactorRequired e) {
            throw new ApiException(401, "mfa_required", e.getMessage());
        } catch (ControlPlane.NotAuthorized e) {
            LOG.info("login refused for {} from {}", ControlPlane.Texts.quoted(body.name()), ctx.ip());
            throw e;
        } catch (Accounts.LockedOut e) {
            LOG.info("login refused for {} from {}: locked for {} s after failed logins", ControlPlane.Texts.quoted(body.name()),
                    ctx.ip(), e.retryAfterSeconds());
            ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
            throw new ApiException(429, "account_locked", e.getMessage());
        }
    }

    /** TOTP enrolment, step 1: the password proves who asks (so a role that needs MFA can enrol before it has a token). */
    private void enrol(Context ctx) {
        Login body = StrictJson.body(ctx, Login.class, null);
        Accounts.User user = authenticate(ctx, body);
        Accounts.TotpEnrolment enrolment = accounts.beginTotp(proven(ctx, user), user.name());
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("secret", enrolment.secretBase32());
        answer.put("otpauthUri", enrolment.otpauthUri());
        answer.put("qrCodePng", java.util.Base64.getEncoder().encodeToString(QrCode.png(enrolment.otpauthUri(), 256)));
        ctx.json(answer);
    }

    /** TOTP enrolment, step 2: the first code turns the secret on; ten backup codes are answered, once. */
    private void confirm(Context ctx) {
        Login body = StrictJson.body(ctx, Login.class, null);
        Accounts.User user = authenticate(ctx, new Login(body.name(), body.password(), null));
        java.util.List<String> codes = accounts.confirmTotp(proven(ctx, user), user.name(), body.code());
        ctx.json(Map.of("backupCodes", codes));
    }

    private void refresh(Context ctx) {
        Refresh body = StrictJson.body(ctx, Refresh.class, null);
        Accounts.Session session = accounts.attributed(RouteTable.attempt(ctx, null, "refresh-token"),
                () -> accounts.refresh(body.refreshToken()));
        sessions.changedHere(session.user());
        ctx.json(pair(session));
    }

    private void logout(Context ctx) {
        TokenAuthority.Verified token = signedInToken(ctx);
        accounts.endSession(actor(ctx), token.tokenId(), token.family(), token.expiresAt());
        sessions.revokedHere(token.tokenId());
        sessions.revokedHere(token.family());
        ctx.status(204);
    }

    private void me(Context ctx) {
        Principal principal = RouteTable.principal(ctx);
        Map<String, Object> me = new LinkedHashMap<>();
        me.put("name", principal.name());
        me.put("role", principal.role().name().toLowerCase());
        me.put("method", principal.method());
        TokenAuthority.Verified token = ctx.attribute(AccessTokenResolver.TOKEN);
        if (token != null) {
            me.put("accessTokenExpiresAt", token.expiresAt());
        }
        ctx.json(me);
    }

    private void changePassword(Context ctx) {
        signedInToken(ctx);
        PasswordChange body = StrictJson.body(ctx, PasswordChange.class, null);
        Principal principal = RouteTable.principal(ctx);
        Accounts.User user = accounts.changePassword(actor(ctx), principal.name(), body.currentPassword(), body.newPassword());
        sessions.changedHere(user);
        ctx.json(pair(openSession(ctx, user, "password")));
    }

    private void createUser(Context ctx) {
        NewUser body = StrictJson.body(ctx, NewUser.class, null);
        Accounts.User created = accounts.createUser(actor(ctx), new Accounts.NewUser(body.name(), body.role(), body.password()));
        sessions.changedHere(created);
        ctx.status(201).json(created);
    }

    private void setRole(Context ctx) {
        RoleChange body = StrictJson.body(ctx, RoleChange.class, null);
        changed(ctx, accounts.setRole(actor(ctx), existing(ctx), body.role()));
    }

    private void resetPassword(Context ctx) {
        PasswordReset body = StrictJson.body(ctx, PasswordReset.class, null);
        changed(ctx, accounts.resetPassword(actor(ctx), existing(ctx), body.password()));
    }

    private void unlock(Context ctx) {
        StrictJson.body(ctx, NoBody.class, new NoBody());
        // Any name may be locked (unknown ones too), so it is checked against the rule of names, not looked up.
        String name = Accounts.checkName("name", ctx.pathParam("name"));
        ctx.json(Map.of("name", name, "unlocked", accounts.unlock(actor(ctx), name)));
    }

    private void changed(Context ctx, Accounts.User user) {
        sessions.changedHere(user);
        ctx.json(user);
    }

    private String existing(Context ctx) {
        return user(ctx.pathParam("name")).name();
    }

    private Accounts.User user(String name) {
        return accounts.user(name).orElseThrow(() -> ApiException.notFound("user", ControlPlane.Texts.quoted(name)));
    }

    /** The access token and refresh token of a session, as login, refresh and a password change answer them. */
    private Map<String, Object> pair(Accounts.Session session) {
        TokenAuthority.Issued access = authority.issue(session.user(), session.family());
        Map<String, Object> pair = new LinkedHashMap<>();
        pair.put("accessToken", access.token());
        pair.put("tokenType", "Bearer");
        pair.put("expiresIn", authority.settings().accessTtl().toSeconds());
        pair.put("refreshToken", session.refreshToken());
        pair.put("refreshExpiresAt", session.refreshExpiresAt());
        pair.put("user", Map.of("name", session.user().name(), "role", session.user().role()));
        return pair;
    }

    private static TokenAuthority.Verified signedInToken(Context ctx) {
        TokenAuthority.Verified token = ctx.attribute(AccessTokenResolver.TOKEN);
        if (token == null) {
            throw ApiException.badRequest("not_a_session", "this route needs an access token from /api/v1/auth/login, not "
                    + RouteTable.principal(ctx).method());
        }
        return token;
    }

    private static Actor actor(Context ctx) {
        return RouteTable.actor(ctx);
    }
}
