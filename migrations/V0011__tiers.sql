-- Tiers (SPEC §5): a programme tier table versioned with effective dates,
-- qualifying points per member and calendar month, and each member's tier.

-- A version of the tier table: from effective_from on it decides tiers and
-- their earn multipliers (never retroactively: tiers are state, and what was
-- earned stays earned). Versions are never changed or deleted; setting a
-- table again for the same time supersedes the earlier one (the higher id
-- wins). grace_days: how long a member keeps a tier whose threshold their
-- qualifying points no longer reach before the review downgrades them.
CREATE TABLE tier_tables (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  effective_from timestamptz NOT NULL,
  grace_days     integer NOT NULL CHECK (grace_days BETWEEN 0 AND 3660),
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tier_tables_effective ON tier_tables (effective_from, id);

-- The tiers of one version, rank 0 the lowest (threshold 0: everyone holds
-- it). Thresholds ascend with rank (checked by the service; unique here).
CREATE TABLE tiers (
  table_id            bigint  NOT NULL REFERENCES tier_tables (id),
  rank                integer NOT NULL CHECK (rank BETWEEN 0 AND 19),
  name                text    NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  threshold_points    bigint  NOT NULL
                        CHECK (threshold_points BETWEEN 0 AND 1000000000000000),
  earn_multiplier_bps integer NOT NULL CHECK (earn_multiplier_bps BETWEEN 10000 AND 1000000),
  PRIMARY KEY (table_id, rank),
  UNIQUE (table_id, name),
  UNIQUE (table_id, threshold_points),
  CHECK ((rank = 0) = (threshold_points = 0))
);

-- Qualifying points: what partners' ACCRUAL transfers credited (their own
-- points and partner-funded campaign bonuses; not operator-funded bonuses),
-- net of clawbacks, per member and calendar month (UTC) of the service
-- clock. A member's rolling 12 months are at most 12 rows of the primary key,
-- so an accrual stays one upsert plus a short index range sum.
CREATE TABLE member_qualifying_points (
  member_id bigint NOT NULL REFERENCES members (id),
  month     date   NOT NULL CHECK (extract(day FROM month) = 1),
  points    bigint NOT NULL,
  PRIMARY KEY (member_id, month)
);

-- A member's tier. No row: rank 0. `since`: when the member reached this
-- rank. `below_since`: when their qualifying points were first seen below
-- this rank's threshold (NULL: they are not below), which starts the grace
-- period.
CREATE TABLE member_tiers (
  member_id   bigint  PRIMARY KEY REFERENCES members (id),
  tier_rank   integer NOT NULL CHECK (tier_rank BETWEEN 0 AND 19),
  since       timestamptz NOT NULL,
  below_since timestamptz,
  reviewed_at timestamptz
);
