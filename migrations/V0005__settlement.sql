-- Settlement between partners (SPEC §6): partner economics with effective
-- dates, settlement batches and what each batch settled.

-- Every transfer kind settlement understands (V0004 adds REFUND and CLAWBACK;
-- EXPIRY and BONUS come with expiry and campaigns).
ALTER TABLE transfers DROP CONSTRAINT IF EXISTS transfers_kind_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_kind_check
  CHECK (kind IN ('ACCRUAL', 'REDEMPTION', 'HOLD_CAPTURE', 'REFUND', 'CLAWBACK', 'EXPIRY',
                  'BONUS'));

-- A partner's prices from `effective_from` until the next row's. A transfer
-- is priced at the row in force at its created_at (a reversal at the time of
-- what it reverses), so a change never reaches back. The first row of every
-- partner starts at -infinity and carries partners.issuance_price_micros /
-- redemption_rate_micros, which remain the initial rates.
CREATE TABLE partner_economics (
  partner_id             bigint      NOT NULL REFERENCES partners (id),
  effective_from         timestamptz NOT NULL,
  issuance_price_micros  bigint      NOT NULL
    CHECK (issuance_price_micros BETWEEN 0 AND 1000000000),
  redemption_rate_micros bigint      NOT NULL
    CHECK (redemption_rate_micros BETWEEN 0 AND 1000000000),
  created_at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (partner_id, effective_from),
  -- Scheduled changes only: a row may not start before it was written.
  CHECK (effective_from = '-infinity' OR effective_from >= created_at)
);

INSERT INTO partner_economics (partner_id, effective_from, issuance_price_micros,
                               redemption_rate_micros)
SELECT id, '-infinity', issuance_price_micros, redemption_rate_micros FROM partners;

CREATE FUNCTION partner_initial_economics() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO partner_economics (partner_id, effective_from, issuance_price_micros,
                                 redemption_rate_micros)
  VALUES (NEW.id, '-infinity', NEW.issuance_price_micros, NEW.redemption_rate_micros);
  RETURN NEW;
END $$;
CREATE TRIGGER partners_initial_economics AFTER INSERT ON partners
  FOR EACH ROW EXECUTE FUNCTION partner_initial_economics();

-- One settlement run. Created OPEN and CLOSED in the same transaction that
-- claims its transfers, so only CLOSED batches are ever visible.
CREATE TABLE settlement_batches (
  id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  cutoff                  timestamptz NOT NULL UNIQUE,
  mode                    text   NOT NULL CHECK (mode IN ('HUB', 'MULTILATERAL')),
  request_id              text   NOT NULL UNIQUE CHECK (length(request_id) BETWEEN 1 AND 64),
  currency_code           text   NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
  status                  text   NOT NULL CHECK (status IN ('OPEN', 'CLOSED')),
  -- Totals, set when the batch closes.
  transfer_count          bigint CHECK (transfer_count >= 0),
  -- Σ credits − Σ debits of member accounts over the batch's transfers.
  member_liability_change bigint,
  -- Outstanding member liability before the batch (the previous batch's after).
  liability_before        bigint NOT NULL,
  created_at              timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'CLOSED') = (transfer_count IS NOT NULL AND member_liability_change IS NOT NULL))
);

-- Points a batch settled, grouped by what they did, who did it, whose points
-- they were and the rate they are priced at: the input of every statement,
-- so a batch's figures are recomputed identically whenever they are read.
CREATE TABLE settlement_activity (
  batch_id          bigint NOT NULL REFERENCES settlement_batches (id),
  measure           text   NOT NULL CHECK (measure IN ('ISSUED', 'CLAWED_BACK', 'REDEEMED',
                                                       'REFUNDED', 'EXPIRED', 'BONUS')),
  partner_id        bigint REFERENCES partners (id),
  issuer_partner_id bigint REFERENCES partners (id),
  rate_micros       bigint NOT NULL CHECK (rate_micros >= 0),
  points            bigint NOT NULL CHECK (points > 0)
);
CREATE INDEX settlement_activity_batch ON settlement_activity (batch_id);

-- Closed batches never change: a correction is a new transfer settled later.
CREATE FUNCTION settlement_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'settled data is immutable (%)', TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER settlement_batches_closed BEFORE UPDATE OR DELETE ON settlement_batches
  FOR EACH ROW WHEN (OLD.status = 'CLOSED') EXECUTE FUNCTION settlement_refuse_change();
CREATE TRIGGER settlement_activity_immutable BEFORE UPDATE OR DELETE ON settlement_activity
  FOR EACH ROW EXECUTE FUNCTION settlement_refuse_change();
-- A transfer joins one batch at most, once.
CREATE TRIGGER transfers_settled_once BEFORE UPDATE OF settlement_batch_id ON transfers
  FOR EACH ROW WHEN (OLD.settlement_batch_id IS NOT NULL)
  EXECUTE FUNCTION settlement_refuse_change();
