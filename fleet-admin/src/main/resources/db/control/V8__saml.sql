-- Users signed in by a SAML 2.0 identity provider, and the assertion ids already used: an assertion is accepted once,
-- on any replica, until it would have expired anyway.
ALTER TABLE users DROP CONSTRAINT users_source_check;
ALTER TABLE users ADD CONSTRAINT users_source_check CHECK (source IN ('local', 'ldap', 'oidc', 'saml'));

CREATE TABLE sso_assertions (
    id         text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
