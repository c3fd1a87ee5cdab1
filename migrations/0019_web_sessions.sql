-- Issue 13, sign-in for the web workspace: passwords, browser sessions and the log of sign-in attempts.
-- Everything stays in the auth schema, which zhanbu_app is not granted (0003): sign-in happens
-- before any user is known, in the system context. Row-level security is enabled with no policy
-- all the same, so a future GRANT by mistake still shows the request role no row.

-- The password lives apart from auth.app_user on purpose: app_user's audit trigger copies the whole
-- row into audit.event, and a password hash must never be copied anywhere.
CREATE TABLE auth.credential (
  user_id     uuid PRIMARY KEY REFERENCES auth.app_user (id) ON DELETE CASCADE,
  -- scrypt$<N>$<r>$<p>$<salt base64>$<key base64> (src/auth/passwords.ts); never the password itself
  password    text NOT NULL CHECK (password ~ '^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$'),
  set_at      timestamptz NOT NULL DEFAULT now()
);

-- A browser session: the cookie's SHA-256 only, like API tokens.
CREATE TABLE auth.session (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES auth.app_user (id) ON DELETE CASCADE,
  token_sha256 text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  last_seen_at timestamptz,
  client_ip    text,
  user_agent   text,
  CHECK (expires_at > created_at)
);
CREATE INDEX session_of_user ON auth.session (user_id);

-- Every sign-in attempt, succeeded or not: the rate limit counts the failures of a login and of an
-- address over a window, and the table is the log an administrator reads.
CREATE TABLE auth.login_attempt (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  login      text NOT NULL,
  client_ip  text NOT NULL,
  succeeded  boolean NOT NULL,
  reason     text NOT NULL CHECK (reason IN ('ok', 'unknown-login', 'wrong-password', 'no-password', 'disabled', 'rate-limited'))
);
CREATE INDEX login_attempt_login ON auth.login_attempt (login, at) WHERE NOT succeeded;
CREATE INDEX login_attempt_ip ON auth.login_attempt (client_ip, at) WHERE NOT succeeded;

ALTER TABLE auth.credential ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.session ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth.login_attempt ENABLE ROW LEVEL SECURITY;

-- Sessions begin and end in the audit log as tokens do (the hash stripped by audit.record_change).
CREATE TRIGGER session_audit AFTER INSERT OR DELETE ON auth.session FOR EACH ROW EXECUTE FUNCTION audit.record_change();
CREATE TRIGGER session_revoke_audit AFTER UPDATE OF revoked_at ON auth.session FOR EACH ROW EXECUTE FUNCTION audit.record_change();
