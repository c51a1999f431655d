-- Targeted bonuses, the first-purchase-at-a-new-brand campaign (SPEC §3, §5).

-- A grant of `points` to every member of a segment, operator-funded. The
-- member set is fixed when the grant is created (bonus_grant_members), so a
-- retry after a crash finishes exactly the members still missing.
CREATE TABLE bonus_grants (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id     text   NOT NULL UNIQUE CHECK (length(request_id) BETWEEN 1 AND 64),
  -- SHA-256 of the request's parameters: the same request_id with other
  -- parameters is refused.
  request_hash   bytea  NOT NULL CHECK (length(request_hash) = 32),
  segment        text   NOT NULL CHECK (segment IN ('TOP_SPENDERS', 'LAPSING')),
  -- TOP_SPENDERS: the top `top_percent` by cash accrued in [spend_from, spend_to).
  top_percent    integer CHECK (top_percent BETWEEN 1 AND 100),
  spend_from     timestamptz,
  spend_to       timestamptz,
  -- LAPSING: no earn or spend for at least `lapsed_days` before `as_of`.
  lapsed_days    integer CHECK (lapsed_days BETWEEN 1 AND 36500),
  as_of          timestamptz NOT NULL,
  points         bigint NOT NULL CHECK (points > 0),
  reason         text   NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
  actor          text   NOT NULL,
  member_count   bigint NOT NULL CHECK (member_count > 0),
  total_points   bigint NOT NULL CHECK (total_points = points * member_count),
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((segment = 'TOP_SPENDERS') = (top_percent IS NOT NULL AND spend_from IS NOT NULL
                                       AND spend_to > spend_from AND lapsed_days IS NULL)),
  CHECK ((segment = 'LAPSING') = (lapsed_days IS NOT NULL AND top_percent IS NULL))
);

-- The members of a grant; transfer_id is set in the member's own
-- transaction when their points are credited (at most once: see below).
CREATE TABLE bonus_grant_members (
  grant_id    bigint NOT NULL REFERENCES bonus_grants (id),
  member_id   bigint NOT NULL REFERENCES members (id),
  transfer_id bigint,
  PRIMARY KEY (grant_id, member_id),
  FOREIGN KEY (member_id, transfer_id) REFERENCES transfers (member_id, id)
);
CREATE INDEX bonus_grant_members_pending ON bonus_grant_members (grant_id, member_id)
  WHERE transfer_id IS NULL;

-- The last line of defence: one bonus transfer per member and grant.
CREATE UNIQUE INDEX transfers_one_grant_bonus ON transfers (member_id, reference)
  WHERE kind = 'BONUS' AND reference LIKE 'grant:%';

-- Campaign kinds: PURCHASE (the V0009 campaigns) and FIRST_AT_BRAND, a fixed
-- bonus on a member's first earning purchase at a partner where they never
-- earned before, once they have earned at another partner (cross-brand).
ALTER TABLE campaigns ADD COLUMN kind text NOT NULL DEFAULT 'PURCHASE'
  CHECK (kind IN ('PURCHASE', 'FIRST_AT_BRAND'));
ALTER TABLE campaigns ADD CONSTRAINT campaigns_first_at_brand_fixed
  CHECK (kind = 'PURCHASE' OR (fixed_points > 0 AND multiplier_bps = 0 AND categories = '[]'));
CREATE INDEX campaigns_first_at_brand ON campaigns (starts_at, ends_at)
  WHERE kind = 'FIRST_AT_BRAND';

-- Once per (member, partner), whichever first-at-brand campaign paid it.
CREATE TABLE first_brand_awards (
  member_id   bigint NOT NULL REFERENCES members (id),
  partner_id  bigint NOT NULL REFERENCES partners (id),
  campaign_id bigint NOT NULL REFERENCES campaigns (id),
  points      bigint NOT NULL CHECK (points > 0),
  awarded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (member_id, partner_id)
);
