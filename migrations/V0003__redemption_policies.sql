-- Cash-plus-points redemption policy per partner (SPEC §4). A partner without
-- a row uses the default: a point is worth its redemption rate, any number of
-- points, up to the whole price, no fixed splits, proportional refunds.
CREATE TABLE redemption_policies (
  partner_id             bigint PRIMARY KEY REFERENCES partners (id),
  point_value_micros     bigint NOT NULL CHECK (point_value_micros BETWEEN 1 AND 1000000000),
  block_size_points      bigint NOT NULL CHECK (block_size_points BETWEEN 1 AND 1000000000),
  min_points             bigint NOT NULL CHECK (min_points BETWEEN 0 AND 1000000000000),
  max_points_share_bps   integer NOT NULL CHECK (max_points_share_bps BETWEEN 0 AND 10000),
  min_cash_minor         bigint NOT NULL CHECK (min_cash_minor BETWEEN 0 AND 1000000000000),
  split_points_share_bps integer[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(split_points_share_bps) <= 10),
  refund_policy          text NOT NULL CHECK (refund_policy IN ('PROPORTIONAL', 'CASH_FIRST',
                                                                 'POINTS_FIRST',
                                                                 'POINTS_FORFEITED')),
  updated_at             timestamptz NOT NULL DEFAULT now()
);
