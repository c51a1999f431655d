-- Earn rules and campaigns (SPEC §3).

-- A partner's earn rules, versioned: the row with the latest effective_from
-- at or before a purchase applies to it. Without a row, the partner's plain
-- earn rate applies. `rules` is the JSON form of domain::EarnRules.
CREATE TABLE earn_rules (
  partner_id     bigint NOT NULL REFERENCES partners (id),
  effective_from timestamptz NOT NULL,
  rules          jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (partner_id, effective_from)
);

-- Bonus points for purchases in a time window, at one partner or all
-- (partner_id NULL). Funded by the partner (its issuance account, so it pays
-- the issuance price) or by the operator (the operator account).
CREATE TABLE campaigns (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name            text   NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  partner_id      bigint REFERENCES partners (id),
  starts_at       timestamptz NOT NULL,
  ends_at         timestamptz NOT NULL CHECK (ends_at > starts_at),
  categories      jsonb  NOT NULL DEFAULT '[]',
  multiplier_bps  integer NOT NULL DEFAULT 0 CHECK (multiplier_bps BETWEEN 0 AND 1000000),
  fixed_points    bigint NOT NULL DEFAULT 0 CHECK (fixed_points BETWEEN 0 AND 1000000000),
  min_spend_minor bigint NOT NULL DEFAULT 0 CHECK (min_spend_minor >= 0),
  funded_by       text   NOT NULL CHECK (funded_by IN ('PARTNER', 'OPERATOR')),
  budget_points   bigint NOT NULL CHECK (budget_points > 0),
  awarded_points  bigint NOT NULL DEFAULT 0,
  member_cap_points bigint NOT NULL DEFAULT 0 CHECK (member_cap_points >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- A budget is never overspent, whatever the concurrency.
  CHECK (awarded_points BETWEEN 0 AND budget_points),
  CHECK (funded_by = 'OPERATOR' OR partner_id IS NOT NULL)
);
CREATE INDEX campaigns_live ON campaigns (starts_at, ends_at);

-- Points each member received from each campaign (its per-member cap).
CREATE TABLE campaign_awards (
  campaign_id bigint NOT NULL REFERENCES campaigns (id),
  member_id   bigint NOT NULL REFERENCES members (id),
  points      bigint NOT NULL CHECK (points > 0),
  PRIMARY KEY (campaign_id, member_id)
);
