-- The reference of bench/run.sh: the ledger writes of one accrual, as the
-- service makes them (server/storage/queries.h kClaimRequest, kFindCard,
-- kAccrue, kStoreResponse), in one PL/pgSQL function that pgbench calls: one
-- round trip and one commit per accrual, no gRPC, no application server.
--
-- It runs in its own database (coalition_benchref, same PostgreSQL cluster,
-- same schema from the service's migrations) so it never touches the service's
-- data. Run with psql -v members=N; idempotent.

\set ON_ERROR_STOP on

INSERT INTO partners (code, display_name, earn_points, earn_per_amount_minor,
                      issuance_price_micros, redemption_rate_micros, auto_enroll)
VALUES ('benchref', 'Reference partner', 1, 100, 10000, 7500, true)
ON CONFLICT (code) DO NOTHING;

INSERT INTO accounts (kind, partner_id)
SELECT kind, p.id
FROM partners p, (VALUES ('PARTNER_ISSUANCE'), ('PARTNER_REDEMPTION')) AS k (kind)
WHERE p.code = 'benchref'
  AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.partner_id = p.id AND a.kind = k.kind);

-- The same cards as the load generator's (LG-0000000 ...), enrolled with no
-- points: the reference only accrues.
BEGIN;
CREATE TEMP TABLE new_cards ON COMMIT DROP AS
SELECT card_number, nextval(pg_get_serial_sequence('accounts', 'id')) AS id
FROM (SELECT 'LG-' || lpad(i::text, 7, '0') AS card_number
      FROM generate_series(0, :members - 1) AS i) AS wanted
WHERE NOT EXISTS (SELECT 1 FROM cards c WHERE c.card_number = wanted.card_number);
INSERT INTO accounts (id, kind) SELECT id, 'MEMBER' FROM new_cards;
INSERT INTO members (id, enrolled_by_partner_id)
SELECT id, (SELECT id FROM partners WHERE code = 'benchref') FROM new_cards;
INSERT INTO cards (card_number, member_id) SELECT card_number, id FROM new_cards;
COMMIT;

CREATE SCHEMA IF NOT EXISTS bench_ref;

CREATE OR REPLACE FUNCTION bench_ref.accrue(p_request_id text, p_card text, p_amount_minor bigint)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_partner  bigint;
  v_issuance bigint;
  v_member   bigint;
  v_points   bigint := greatest(p_amount_minor / 100, 1);
  v_transfer bigint;
  v_balance  bigint;
BEGIN
  -- The service has the partner from its authentication step.
  SELECT id, issuance_account_id INTO v_partner, v_issuance
  FROM partner_details WHERE code = 'benchref';

  -- kClaimRequest: a duplicate would get the stored response instead.
  INSERT INTO idempotency_keys (partner_id, request_id, method, request_hash)
  VALUES (v_partner, p_request_id, 'Accrue', sha256(convert_to(p_request_id, 'UTF8')))
  ON CONFLICT (partner_id, request_id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;

  -- kFindCard
  SELECT member_id INTO v_member FROM cards WHERE card_number = p_card;

  -- kAccrue
  WITH transfer AS (
    INSERT INTO transfers (member_id, debit_account_id, credit_account_id, points, kind,
                           partner_id, request_id, amount_minor, currency_code, store_id,
                           receipt_id, occurred_at)
    VALUES (v_member, v_issuance, v_member, v_points, 'ACCRUAL', v_partner, p_request_id,
            p_amount_minor, 'USD', 'loadgen', '', now())
    RETURNING id, created_at
  ), lot AS (
    INSERT INTO lots (member_id, issuer_partner_id, points, remaining, earned_at,
                      source_transfer_id)
    SELECT v_member, v_partner, v_points, v_points, created_at, id FROM transfer
  ), member AS (
    UPDATE members SET balance = balance + v_points WHERE id = v_member RETURNING balance
  )
  SELECT transfer.id, member.balance INTO v_transfer, v_balance FROM transfer, member;

  -- kStoreResponse
  UPDATE idempotency_keys
  SET response = jsonb_build_object('member_id', v_member, 'points_earned', v_points,
                                    'balance', v_balance, 'member_enrolled', false,
                                    'transfer_id', v_transfer)
  WHERE partner_id = v_partner AND request_id = p_request_id;
  RETURN v_transfer;
END
$$;
