-- Users signed in from an LDAP directory: their row carries role, session epoch, second factor and revocations like
-- a local user's, but no password (the directory checks it), and the sync keeps them in step with the directory.
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;
ALTER TABLE users ADD COLUMN source text NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'ldap'));
ALTER TABLE users ADD CONSTRAINT users_local_have_passwords CHECK (source <> 'local' OR password_hash IS NOT NULL);
