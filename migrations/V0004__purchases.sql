-- Purchases, refunds and clawback debt (SPEC §4).

-- Clawback debt: earned points clawed back after the member spent them.
-- balance = Σ lots.remaining - debt, so a member in debt has a negative or
-- reduced balance that blocks redemption until later credits repay it.
ALTER TABLE members ADD COLUMN debt bigint NOT NULL DEFAULT 0 CHECK (debt >= 0);
ALTER TABLE members DROP CONSTRAINT members_available_not_negative;
-- The member's lots (balance + debt) always cover its open holds, so a
-- capture can always take its points from lots.
ALTER TABLE members ADD CONSTRAINT members_lots_cover_holds CHECK (balance + debt - held >= 0);

ALTER TABLE transfers DROP CONSTRAINT transfers_kind_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_kind_check
  CHECK (kind IN ('ACCRUAL', 'REDEMPTION', 'HOLD_CAPTURE', 'REFUND', 'CLAWBACK'));
CREATE INDEX transfers_member_receipt ON transfers (member_id, partner_id, receipt_id)
  WHERE receipt_id IS NOT NULL;

-- A purchase is a receipt at a partner: the cash paid (accruals naming the
-- receipt), the points paid (redemptions and captures naming it), the points
-- earned, and what refunds have returned so far. Refunds never return more
-- than these totals: the CHECKs hold the line even against a bug.
CREATE TABLE purchases (
  partner_id            bigint NOT NULL REFERENCES partners (id),
  receipt_id            text   NOT NULL CHECK (length(receipt_id) BETWEEN 1 AND 128),
  member_id             bigint NOT NULL REFERENCES members (id),
  currency_code         text   NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
  cash_paid_minor       bigint NOT NULL DEFAULT 0 CHECK (cash_paid_minor >= 0),
  points_paid           bigint NOT NULL DEFAULT 0 CHECK (points_paid >= 0),
  points_earned         bigint NOT NULL DEFAULT 0 CHECK (points_earned >= 0),
  -- Fixed by the first points payment: the value and refund policy in force then.
  point_value_micros    bigint CHECK (point_value_micros > 0),
  refund_policy         text CHECK (refund_policy IN ('PROPORTIONAL', 'CASH_FIRST', 'POINTS_FIRST',
                                                      'POINTS_FORFEITED')),
  amount_refunded_minor bigint NOT NULL DEFAULT 0 CHECK (amount_refunded_minor >= 0),
  cash_returned_minor   bigint NOT NULL DEFAULT 0
    CHECK (cash_returned_minor BETWEEN 0 AND cash_paid_minor),
  points_returned       bigint NOT NULL DEFAULT 0 CHECK (points_returned BETWEEN 0 AND points_paid),
  points_clawed_back    bigint NOT NULL DEFAULT 0
    CHECK (points_clawed_back BETWEEN 0 AND points_earned),
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (partner_id, receipt_id),
  CHECK ((points_paid = 0) OR (point_value_micros IS NOT NULL AND refund_policy IS NOT NULL))
);
CREATE INDEX purchases_member ON purchases (member_id);

-- Points a refund gave back, per lot a purchase's debit consumed. `lot_id`
-- is where they went: the consumed lot itself, or a new lot with a grace
-- expiry when the consumed one had expired meanwhile.
CREATE TABLE lot_restorations (
  member_id          bigint NOT NULL,
  refund_transfer_id bigint NOT NULL,
  debit_transfer_id  bigint NOT NULL,
  consumed_lot_id    bigint NOT NULL,
  lot_id             bigint NOT NULL,
  points             bigint NOT NULL CHECK (points > 0),
  PRIMARY KEY (member_id, refund_transfer_id, debit_transfer_id, consumed_lot_id),
  FOREIGN KEY (member_id, refund_transfer_id) REFERENCES transfers (member_id, id),
  FOREIGN KEY (member_id, debit_transfer_id, consumed_lot_id)
    REFERENCES lot_consumptions (member_id, transfer_id, lot_id),
  FOREIGN KEY (member_id, lot_id) REFERENCES lots (member_id, id)
);
