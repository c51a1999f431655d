-- Security (SPEC §8): member PII sealed at rest, and the audit log.

-- Member profiles hold AES-256-GCM ciphertexts (nonce || ciphertext || tag),
-- one per field, all under the key named by key_id; the server seals them
-- with the member id and field name as associated data. email_index and
-- phone_index are keyed HMAC-SHA256 blind indexes of the normalised values,
-- for lookups by the supplying partner. A row with key_id NULL is a legacy
-- plaintext row written before this migration: the server seals those at
-- start-up (RotatePiiKeys), after which the plaintext columns are NULL.
ALTER TABLE member_profiles
  ALTER COLUMN given_name DROP NOT NULL, ALTER COLUMN given_name DROP DEFAULT,
  ALTER COLUMN family_name DROP NOT NULL, ALTER COLUMN family_name DROP DEFAULT,
  ALTER COLUMN email DROP NOT NULL, ALTER COLUMN email DROP DEFAULT,
  ALTER COLUMN phone DROP NOT NULL, ALTER COLUMN phone DROP DEFAULT,
  ADD COLUMN key_id text CHECK (key_id ~ '^[A-Za-z0-9._-]{1,32}$'),
  ADD COLUMN given_name_sealed bytea CHECK (length(given_name_sealed) >= 28),
  ADD COLUMN family_name_sealed bytea CHECK (length(family_name_sealed) >= 28),
  ADD COLUMN email_sealed bytea CHECK (length(email_sealed) >= 28),
  ADD COLUMN phone_sealed bytea CHECK (length(phone_sealed) >= 28),
  ADD COLUMN email_index bytea CHECK (length(email_index) = 32),
  ADD COLUMN phone_index bytea CHECK (length(phone_index) = 32),
  ADD COLUMN sealed_at timestamptz,
  ADD CONSTRAINT member_profiles_sealed_xor_plaintext CHECK (
    CASE WHEN key_id IS NULL THEN
      given_name IS NOT NULL AND family_name IS NOT NULL AND email IS NOT NULL
      AND phone IS NOT NULL AND given_name_sealed IS NULL AND family_name_sealed IS NULL
      AND email_sealed IS NULL AND phone_sealed IS NULL
    ELSE
      given_name IS NULL AND family_name IS NULL AND email IS NULL AND phone IS NULL
      AND given_name_sealed IS NOT NULL AND family_name_sealed IS NOT NULL
      AND email_sealed IS NOT NULL AND phone_sealed IS NOT NULL
    END);
CREATE INDEX member_profiles_email_index ON member_profiles (supplied_by_partner_id, email_index)
  WHERE email_index IS NOT NULL;
CREATE INDEX member_profiles_phone_index ON member_profiles (supplied_by_partner_id, phone_index)
  WHERE phone_index IS NOT NULL;
-- Rotation finds the rows not yet under the active key.
CREATE INDEX member_profiles_key_id ON member_profiles (key_id, member_id);

-- One row per administrative or settlement call, including refused ones.
-- Append-only: the triggers refuse UPDATE, DELETE and TRUNCATE even to the
-- table's owner, and the service role is granted INSERT and SELECT only
-- (deploy/README.md).
CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  -- Who: "operator", "finance", "auditor", "partner:<code>" or "anonymous".
  actor       text NOT NULL CHECK (length(actor) BETWEEN 1 AND 64),
  role        text NOT NULL CHECK (role IN ('OPERATOR', 'FINANCE', 'AUDITOR', 'PARTNER', 'NONE')),
  method      text NOT NULL CHECK (length(method) BETWEEN 1 AND 128),
  request_id  text NOT NULL DEFAULT '' CHECK (length(request_id) <= 64),
  -- The gRPC status code and, for a failure, its machine-readable reason.
  code        integer NOT NULL CHECK (code BETWEEN 0 AND 16),
  reason      text NOT NULL DEFAULT '' CHECK (length(reason) <= 64),
  -- The request and the resulting state, for changes; never secrets or PII.
  request     jsonb,
  before      jsonb,
  after       jsonb
);
CREATE INDEX audit_log_occurred ON audit_log (occurred_at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
