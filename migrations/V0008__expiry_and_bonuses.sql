-- Expiry, breakage and operator-funded bonuses (SPEC §3, §5).

ALTER TABLE transfers DROP CONSTRAINT transfers_kind_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_kind_check
  CHECK (kind IN ('ACCRUAL', 'REDEMPTION', 'HOLD_CAPTURE', 'REFUND', 'CLAWBACK', 'EXPIRY',
                  'BONUS'));

-- A member's sign-up bonus is granted once, however enrolment is retried.
CREATE UNIQUE INDEX transfers_one_signup_bonus ON transfers (member_id)
  WHERE kind = 'BONUS' AND reference = 'SIGNUP';

-- The last earn or spend, for inactivity lapse.
ALTER TABLE members ADD COLUMN last_activity_at timestamptz;
UPDATE members SET last_activity_at = enrolled_at;
CREATE INDEX members_last_activity ON members (last_activity_at) WHERE balance > 0;

-- What the expiry job looks for.
CREATE INDEX lots_expiring ON lots (expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;
