-- Holds (SPEC §4): points reserved for a payment that is still completing.
-- members.held is the sum of the points of the member's OPEN holds.

CREATE TABLE holds (
  id                  bigint GENERATED ALWAYS AS IDENTITY,
  member_id           bigint NOT NULL REFERENCES members (id),
  partner_id          bigint NOT NULL REFERENCES partners (id),
  points              bigint NOT NULL CHECK (points > 0),
  status              text   NOT NULL CHECK (status IN ('OPEN', 'CAPTURED', 'VOIDED', 'EXPIRED')),
  captured_points     bigint CHECK (captured_points > 0 AND captured_points <= points),
  capture_transfer_id bigint,
  request_id          text   NOT NULL,
  reference           text   NOT NULL DEFAULT '',
  created_at          timestamptz NOT NULL,
  expires_at          timestamptz NOT NULL CHECK (expires_at > created_at),
  closed_at           timestamptz,
  PRIMARY KEY (member_id, id),
  FOREIGN KEY (member_id, capture_transfer_id) REFERENCES transfers (member_id, id),
  CHECK ((status = 'CAPTURED') = (captured_points IS NOT NULL)),
  CHECK ((status = 'CAPTURED') = (capture_transfer_id IS NOT NULL)),
  CHECK ((status = 'OPEN') = (closed_at IS NULL))
);
-- Partners address a hold by its id alone.
CREATE UNIQUE INDEX holds_by_id ON holds (id);
-- What the sweeper looks for.
CREATE INDEX holds_open_by_expiry ON holds (expires_at) WHERE status = 'OPEN';
CREATE INDEX holds_open_by_member ON holds (member_id) WHERE status = 'OPEN';

ALTER TABLE transfers DROP CONSTRAINT transfers_kind_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_kind_check
  CHECK (kind IN ('ACCRUAL', 'REDEMPTION', 'HOLD_CAPTURE'));
