-- Users signed in by an OpenID Connect provider, and the authorization requests in flight (state, nonce, PKCE
-- verifier), kept in the database so that the callback may reach any API replica. A request is taken once.
ALTER TABLE users DROP CONSTRAINT users_source_check;
ALTER TABLE users ADD CONSTRAINT users_source_check CHECK (source IN ('local', 'ldap', 'oidc'));

CREATE TABLE sso_requests (
    state         text PRIMARY KEY,
    nonce         text NOT NULL,
    code_verifier text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
