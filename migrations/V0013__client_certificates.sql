-- mTLS partner identities (SPEC §8) and a write-ahead audit trail.

-- Client certificate identities that authenticate as a partner under mTLS.
-- SHA256_FINGERPRINT pins one certificate (lowercase hex of the SHA-256 of its
-- DER encoding); SAN matches, exactly, a subject alternative name of any
-- certificate the configured client CA signed, so it survives renewal. An
-- identity maps to at most one partner while active; revoking keeps the row.
CREATE TABLE client_certificates (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  partner_id bigint NOT NULL REFERENCES partners (id),
  match      text   NOT NULL CHECK (match IN ('SHA256_FINGERPRINT', 'SAN')),
  identity   text   NOT NULL CHECK (length(identity) BETWEEN 1 AND 256),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  CONSTRAINT client_certificates_fingerprint_shape
    CHECK (match <> 'SHA256_FINGERPRINT' OR identity ~ '^[0-9a-f]{64}$'),
  CONSTRAINT client_certificates_revoked_after_created
    CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);
CREATE UNIQUE INDEX client_certificates_active_identity
  ON client_certificates (match, identity) WHERE revoked_at IS NULL;
CREATE INDEX client_certificates_partner ON client_certificates (partner_id, id);

-- Audited writes are recorded twice: an INTENT row committed before the
-- change is attempted (code NULL: the outcome is not known yet), then an
-- OUTCOME row pointing at it with the status. A crash between the two leaves
-- an INTENT without an OUTCOME, never a change without a row; a change that
-- rolled back gets an OUTCOME with its error code, never a success. Reads
-- and refusals stay one COMPLETED row.
ALTER TABLE audit_log
  ALTER COLUMN code DROP NOT NULL,
  ADD COLUMN phase text NOT NULL DEFAULT 'COMPLETED'
    CHECK (phase IN ('COMPLETED', 'INTENT', 'OUTCOME')),
  ADD COLUMN intent_id bigint REFERENCES audit_log (id),
  ADD CONSTRAINT audit_log_phase_shape CHECK (
    CASE phase
      WHEN 'INTENT' THEN code IS NULL AND intent_id IS NULL
      WHEN 'OUTCOME' THEN code IS NOT NULL AND intent_id IS NOT NULL
      ELSE code IS NOT NULL AND intent_id IS NULL
    END);
CREATE UNIQUE INDEX audit_log_one_outcome_per_intent ON audit_log (intent_id)
  WHERE intent_id IS NOT NULL;
