package io.pganalytics.api.auth;

import io.javalin.http.Context;
import io.pganalytics.fleet.admin.Accounts;
import java.util.Locale;
import java.util.Optional;

/**
 * A person signed in with an access token from {@code /api/v1/auth/login}: principal {@code <user name>} with the
 * user's role as the {@link SessionCache} knows it now (a role change applies to tokens already issued). Refused
 * (empty) when the token does not verify, its id or session was revoked, the user is disabled or gone, or its
 * session epoch is older than the user's (a password change, a reset, "revoke all sessions").
 */
public final class AccessTokenResolver implements PrincipalResolver {

    /** The context attribute holding the request's {@link TokenAuthority.Verified} token. */
    public static final String TOKEN = "pga.token";
    private final TokenAuthority authority;
    private final SessionCache sessions;

    public AccessTokenResolver(TokenAuthority authority, SessionCache sessions) {
        this.authority = authority;
        this.sessions = sessions;
    }

    @Override
    public Optional<Principal> resolve(Context ctx) {
        Optional<String> bearer = PrincipalResolver.bearerToken(ctx);
        if (bearer.isEmpty() || bearer.get().startsWith("pga_")) {
            return Optional.empty();
        }
        Optional<TokenAuthority.Verified> verified = authority.verify(bearer.get());
        if (verified.isEmpty()) {
            return Optional.empty();
        }
        TokenAuthority.Verified token = verified.get();
        if (sessions.revoked(token.tokenId()) || sessions.revoked(token.family())) {
            return Optional.empty();
        }
        Optional<Accounts.User> user = sessions.user(token.subject());
        if (user.isEmpty() || user.get().disabled() || user.get().sessionEpoch() != token.sessionEpoch()) {
            return Optional.empty();
        }
        ctx.attribute(TOKEN, token);
        return Optional.of(new Principal(token.subject(), Role.valueOf(user.get().role().toUpperCase(Locale.ROOT)), "password"));
    }
}
