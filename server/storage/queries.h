#pragma once

// Every SQL statement of the service, by name. Prepared once per connection
// (see PrepareStatements); timestamps cross the boundary as epoch microseconds.

namespace coalition::storage::sql {

// A bigint parameter of epoch microseconds as timestamptz, exactly (a double
// of seconds would lose the last microsecond).
#define COALITION_SQL_TIME(param) "(timestamptz 'epoch' + " param "::bigint * interval '1 microsecond')"

inline constexpr const char* kPartnerColumns =
    "id, code, display_name, earn_points, earn_per_amount_minor, issuance_price_micros, "
    "redemption_rate_micros, auto_enroll, "
    "(extract(epoch from created_at) * 1000000)::bigint, issuance_account_id, "
    "redemption_account_id";

// --- partners and keys -----------------------------------------------------

inline constexpr const char* kInsertPartner = R"~(
INSERT INTO partners (code, display_name, earn_points, earn_per_amount_minor,
                      issuance_price_micros, redemption_rate_micros, auto_enroll)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id)~";

inline constexpr const char* kInsertPartnerAccounts = R"~(
INSERT INTO accounts (kind, partner_id)
VALUES ('PARTNER_ISSUANCE', $1), ('PARTNER_REDEMPTION', $1))~";

inline constexpr const char* kInsertApiKey = R"~(
INSERT INTO api_keys (partner_id, key_hash, prefix)
VALUES ($1, decode($2, 'hex'), $3)
RETURNING id, partner_id, prefix, (extract(epoch from created_at) * 1000000)::bigint,
          (extract(epoch from revoked_at) * 1000000)::bigint)~";

inline constexpr const char* kRevokeApiKey = R"~(
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
WHERE id = $1
RETURNING id, partner_id, prefix, (extract(epoch from created_at) * 1000000)::bigint,
          (extract(epoch from revoked_at) * 1000000)::bigint)~";

// --- redemption policies -----------------------------------------------------------

// Splits travel as a text array literal ('{8000,6000}') to stay clear of
// libpqxx 6's missing array parameters.
inline constexpr const char* kUpsertRedemptionPolicy = R"~(
INSERT INTO redemption_policies (partner_id, point_value_micros, block_size_points, min_points,
                                 max_points_share_bps, min_cash_minor, split_points_share_bps,
                                 refund_policy)
VALUES ($1, $2, $3, $4, $5, $6, $7::integer[], $8)
ON CONFLICT (partner_id) DO UPDATE SET
  point_value_micros = EXCLUDED.point_value_micros,
  block_size_points = EXCLUDED.block_size_points,
  min_points = EXCLUDED.min_points,
  max_points_share_bps = EXCLUDED.max_points_share_bps,
  min_cash_minor = EXCLUDED.min_cash_minor,
  split_points_share_bps = EXCLUDED.split_points_share_bps,
  refund_policy = EXCLUDED.refund_policy,
  updated_at = now())~";

inline constexpr const char* kFindRedemptionPolicy = R"~(
SELECT point_value_micros, block_size_points, min_points, max_points_share_bps, min_cash_minor,
       array_to_string(split_points_share_bps, ','), refund_policy
FROM redemption_policies WHERE partner_id = $1)~";

// --- idempotency -------------------------------------------------------------

// Claims (partner, request_id) for this transaction. A concurrent duplicate
// blocks here until the first commits or rolls back.
inline constexpr const char* kClaimRequest = R"~(
INSERT INTO idempotency_keys (partner_id, request_id, method, request_hash)
VALUES ($1, $2, $3, decode($4, 'hex'))
ON CONFLICT (partner_id, request_id) DO NOTHING
RETURNING 1)~";

inline constexpr const char* kFindRequest = R"~(
SELECT method, encode(request_hash, 'hex'), response::text
FROM idempotency_keys WHERE partner_id = $1 AND request_id = $2)~";

inline constexpr const char* kStoreResponse = R"~(
UPDATE idempotency_keys SET response = $3::jsonb
WHERE partner_id = $1 AND request_id = $2)~";

// --- members -----------------------------------------------------------------

inline constexpr const char* kFindCard = "SELECT member_id FROM cards WHERE card_number = $1";

inline constexpr const char* kMemberExists = "SELECT 1 FROM members WHERE id = $1";

// Creates account, member and card in one statement. The card is inserted
// first so a concurrent enrolment of the same card makes this insert nothing
// at all (ON CONFLICT), rather than leaving a member without a card; the
// foreign keys are checked at the end of the statement.
inline constexpr const char* kEnrollCard = R"~(
WITH new_member AS (
  SELECT nextval(pg_get_serial_sequence('accounts', 'id')) AS id
), card AS (
  INSERT INTO cards (card_number, member_id)
  SELECT $1, id FROM new_member
  ON CONFLICT (card_number) DO NOTHING
  RETURNING member_id
), account AS (
  INSERT INTO accounts (id, kind) SELECT member_id, 'MEMBER' FROM card RETURNING id
), member AS (
  INSERT INTO members (id, enrolled_by_partner_id) SELECT id, $2 FROM account RETURNING id
)
SELECT id FROM member)~";

// `held` as of $2: holds past their expiry no longer count, even before the
// sweeper has released them.
inline constexpr const char* kGetMember = R"~(
SELECT m.id, m.balance,
       m.held - coalesce((SELECT sum(points) FROM holds
                          WHERE member_id = m.id AND status = 'OPEN' AND expires_at <= )~"
    COALITION_SQL_TIME("$2") R"~(), 0),
       (extract(epoch from m.enrolled_at) * 1000000)::bigint,
       coalesce((SELECT string_agg(card_number, ',' ORDER BY created_at, card_number)
                 FROM cards WHERE member_id = m.id), ''),
       m.debt
FROM members m WHERE m.id = $1)~";

// --- money moves ---------------------------------------------------------------

// Credits a member: transfer, lot and balance in one statement. The balance
// update re-reads the latest row version, so concurrent credits all count.
inline constexpr const char* kAccrue = R"~(
WITH transfer AS (
  INSERT INTO transfers (member_id, debit_account_id, credit_account_id, points, kind,
                         partner_id, request_id, amount_minor, currency_code, store_id,
                         receipt_id, occurred_at)
  VALUES ($1, $2, $1, $3, 'ACCRUAL', $4, $5, $6, $7, $8, $9,
          coalesce()~" COALITION_SQL_TIME("$10") R"~(, now()))
  RETURNING id, created_at
), lot AS (
  INSERT INTO lots (member_id, issuer_partner_id, points, remaining, earned_at, expires_at,
                    source_transfer_id)
  SELECT $1, $4, $3, $3, created_at, )~" COALITION_SQL_TIME("$11") R"~(, id FROM transfer
), member AS (
  UPDATE members SET balance = balance + $3, last_activity_at = )~" COALITION_SQL_TIME("$12") R"~(
  WHERE id = $1 RETURNING balance, debt
)
SELECT transfer.id, member.balance, member.debt FROM transfer, member)~";

inline constexpr const char* kMemberBalance = "SELECT balance FROM members WHERE id = $1";

// Debits only if enough points are available, and locks the member row so the
// lots below are read and consumed by one transaction at a time.
inline constexpr const char* kDebitMember = R"~(
UPDATE members SET balance = balance - $2, last_activity_at = )~" COALITION_SQL_TIME("$3") R"~(
WHERE id = $1 AND balance - held >= $2
RETURNING balance, held)~";

inline constexpr const char* kMemberAvailable = "SELECT balance - held FROM members WHERE id = $1";

// Records a debit of $3 points and consumes $8 of them (all but a
// clawback's unbacked part) from lots, earliest expiry first (then oldest),
// writing one consumption row per lot touched. Runs after the member row is
// locked, so it sees the lots as of after the lock was taken.
inline constexpr const char* kRecordDebit = R"~(
WITH transfer AS (
  INSERT INTO transfers (member_id, debit_account_id, credit_account_id, points, kind,
                         partner_id, request_id, reference, receipt_id)
  VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $9)
  RETURNING id
), ordered AS (
  SELECT id, remaining,
         coalesce(sum(remaining) OVER (ORDER BY expires_at ASC NULLS LAST, earned_at, id
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
           AS before
  FROM lots WHERE member_id = $1 AND remaining > 0
), take AS (
  SELECT id, least(remaining, $8 - before) AS points FROM ordered WHERE before < $8
), consumed AS (
  UPDATE lots SET remaining = lots.remaining - take.points
  FROM take WHERE lots.member_id = $1 AND lots.id = take.id
  RETURNING lots.id, take.points
), consumption AS (
  INSERT INTO lot_consumptions (member_id, transfer_id, lot_id, points)
  SELECT $1, transfer.id, consumed.id, consumed.points FROM transfer, consumed
  RETURNING points
)
SELECT (SELECT id FROM transfer), (SELECT coalesce(sum(points), 0) FROM consumption)::bigint)~";

inline constexpr const char* kListTransactions = R"~(
SELECT id, kind, points, (credit_account_id = member_id), coalesce(request_id, ''),
       amount_minor, coalesce(currency_code, ''), coalesce(store_id, ''),
       coalesce(receipt_id, ''), coalesce(reference, ''),
       (extract(epoch from created_at) * 1000000)::bigint
FROM transfers
WHERE member_id = $1 AND partner_id = $2 AND id < $3
ORDER BY id DESC
LIMIT $4)~";

// --- holds ---------------------------------------------------------------------

inline constexpr const char* kHoldColumns =
    "id, member_id, points, status, (extract(epoch from created_at) * 1000000)::bigint, "
    "(extract(epoch from expires_at) * 1000000)::bigint, coalesce(captured_points, 0), "
    "capture_transfer_id, reference";

// Releases the member's open holds that expired by $2 (run it with the member
// row already locked: see ReleaseExpiredHolds). Returns balance and held
// afterwards and how many holds it released.
inline constexpr const char* kExpireMemberHolds = R"~(
WITH expired AS (
  UPDATE holds SET status = 'EXPIRED', closed_at = )~" COALITION_SQL_TIME("$2") R"~(
  WHERE member_id = $1 AND status = 'OPEN' AND expires_at <= )~" COALITION_SQL_TIME("$2") R"~(
  RETURNING points
)
UPDATE members SET held = held - (SELECT coalesce(sum(points), 0) FROM expired)
WHERE id = $1
RETURNING balance, held, (SELECT count(*) FROM expired))~";

// Reserves points only if enough are available (and locks the member row).
inline constexpr const char* kReserveHeld = R"~(
UPDATE members SET held = held + $2
WHERE id = $1 AND balance - held >= $2
RETURNING balance, held)~";

inline constexpr const char* kInsertHold = R"~(
INSERT INTO holds (member_id, partner_id, points, status, request_id, reference, created_at,
                   expires_at)
VALUES ($1, $2, $3, 'OPEN', $4, $5, )~" COALITION_SQL_TIME("$6") ", " COALITION_SQL_TIME("$7") R"~()
RETURNING id)~";

// A hold of the calling partner; another partner's hold is not found.
inline constexpr const char* kFindHold =
    "SELECT member_id FROM holds WHERE id = $1 AND partner_id = $2";

inline constexpr const char* kLockMember =
    "SELECT balance, held, debt FROM members WHERE id = $1 FOR UPDATE";

inline constexpr const char* kSpendHeld = R"~(
UPDATE members SET balance = balance - $2, held = held - $3,
                   last_activity_at = )~" COALITION_SQL_TIME("$4") R"~(
WHERE id = $1
RETURNING balance, held)~";

inline constexpr const char* kReleaseHeld = R"~(
UPDATE members SET held = held - $2 WHERE id = $1 RETURNING balance, held)~";

inline constexpr const char* kDueHoldMembers = R"~(
SELECT DISTINCT member_id FROM holds
WHERE status = 'OPEN' AND expires_at <= )~" COALITION_SQL_TIME("$1") R"~(
LIMIT $2)~";

// --- purchases and refunds ------------------------------------------------------

inline constexpr const char* kPurchaseColumns =
    "member_id, currency_code, cash_paid_minor, points_paid, points_earned, point_value_micros, "
    "refund_policy, amount_refunded_minor, cash_returned_minor, points_returned, "
    "points_clawed_back";

// Adds the cash and earned points of an accrual to its receipt's purchase.
// No row back: the receipt belongs to another member or was already refunded.
inline constexpr const char* kAddPurchaseCash = R"~(
INSERT INTO purchases (partner_id, receipt_id, member_id, currency_code, cash_paid_minor,
                       points_earned)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (partner_id, receipt_id) DO UPDATE SET
  cash_paid_minor = purchases.cash_paid_minor + EXCLUDED.cash_paid_minor,
  points_earned = purchases.points_earned + EXCLUDED.points_earned,
  updated_at = now()
WHERE purchases.member_id = EXCLUDED.member_id AND purchases.amount_refunded_minor = 0
  AND purchases.currency_code = EXCLUDED.currency_code
RETURNING 1)~";

// Adds a points payment to its receipt's purchase; the first one fixes the
// point value and refund policy. No row back: another member's receipt, one
// already refunded, or one whose points were valued differently.
inline constexpr const char* kAddPurchasePoints = R"~(
INSERT INTO purchases (partner_id, receipt_id, member_id, currency_code, points_paid,
                       point_value_micros, refund_policy)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (partner_id, receipt_id) DO UPDATE SET
  points_paid = purchases.points_paid + EXCLUDED.points_paid,
  point_value_micros = EXCLUDED.point_value_micros,
  refund_policy = coalesce(purchases.refund_policy, EXCLUDED.refund_policy),
  updated_at = now()
WHERE purchases.member_id = EXCLUDED.member_id AND purchases.amount_refunded_minor = 0
  AND purchases.currency_code = EXCLUDED.currency_code
  AND coalesce(purchases.point_value_micros, EXCLUDED.point_value_micros)
      = EXCLUDED.point_value_micros
RETURNING 1)~";

inline constexpr const char* kUpdatePurchaseRefunded = R"~(
UPDATE purchases SET amount_refunded_minor = amount_refunded_minor + $3,
                     cash_returned_minor = cash_returned_minor + $4,
                     points_returned = points_returned + $5,
                     points_clawed_back = points_clawed_back + $6,
                     updated_at = now()
WHERE partner_id = $1 AND receipt_id = $2)~";

// Credits a member with points a refund returns (their lots are restored
// separately, see kRestorableConsumptions).
inline constexpr const char* kRecordRefund = R"~(
WITH transfer AS (
  INSERT INTO transfers (member_id, debit_account_id, credit_account_id, points, kind,
                         partner_id, request_id, receipt_id)
  VALUES ($1, $2, $1, $3, 'REFUND', $4, $5, $6)
  RETURNING id
), member AS (
  UPDATE members SET balance = balance + $3 WHERE id = $1 RETURNING balance
)
SELECT transfer.id FROM transfer, member)~";

// What the purchase's debits consumed from each lot and no refund has put
// back yet, last consumed first; $4 decides which lots have expired.
inline constexpr const char* kRestorableConsumptions = R"~(
SELECT c.transfer_id, c.lot_id,
       c.points - coalesce((SELECT sum(r.points) FROM lot_restorations r
                            WHERE r.member_id = c.member_id AND r.debit_transfer_id = c.transfer_id
                              AND r.consumed_lot_id = c.lot_id), 0),
       (l.expires_at IS NOT NULL AND l.expires_at <= )~" COALITION_SQL_TIME("$4") R"~(),
       l.issuer_partner_id
FROM transfers t
JOIN lot_consumptions c ON c.member_id = t.member_id AND c.transfer_id = t.id
JOIN lots l ON l.member_id = c.member_id AND l.id = c.lot_id
WHERE t.member_id = $1 AND t.partner_id = $2 AND t.receipt_id = $3
  AND t.kind IN ('REDEMPTION', 'HOLD_CAPTURE')
ORDER BY t.id DESC, l.expires_at DESC NULLS FIRST, l.earned_at DESC, l.id DESC)~";

inline constexpr const char* kRestoreLot =
    "UPDATE lots SET remaining = remaining + $3 WHERE member_id = $1 AND id = $2";

// A lot for refunded points whose original lot expired meanwhile.
inline constexpr const char* kInsertGraceLot = R"~(
INSERT INTO lots (member_id, issuer_partner_id, points, remaining, earned_at, expires_at,
                  source_transfer_id)
VALUES ($1, $2, $3, $3, )~" COALITION_SQL_TIME("$4") ", " COALITION_SQL_TIME("$5") R"~(, $6)
RETURNING id)~";

inline constexpr const char* kInsertRestoration = R"~(
INSERT INTO lot_restorations (member_id, refund_transfer_id, debit_transfer_id, consumed_lot_id,
                              lot_id, points)
VALUES ($1, $2, $3, $4, $5, $6))~";

// Takes clawed-back points off the balance; $3 of them are debt because the
// lots could not cover them.
inline constexpr const char* kClawBack = R"~(
UPDATE members SET balance = balance - $2, debt = debt + $3
WHERE id = $1
RETURNING balance, held, debt)~";

// The member's clawbacks not yet backed by lots, oldest first.
inline constexpr const char* kOutstandingClawbacks = R"~(
SELECT t.id, t.points - coalesce((SELECT sum(c.points) FROM lot_consumptions c
                                  WHERE c.member_id = t.member_id AND c.transfer_id = t.id), 0)
FROM transfers t
WHERE t.member_id = $1 AND t.kind = 'CLAWBACK'
ORDER BY t.id)~";

inline constexpr const char* kOpenLots = R"~(
SELECT id, remaining FROM lots WHERE member_id = $1 AND remaining > 0
ORDER BY expires_at ASC NULLS LAST, earned_at, id)~";

// Moves points of a lot to an outstanding clawback (debt repayment).
inline constexpr const char* kRepayFromLot = R"~(
WITH lot AS (
  UPDATE lots SET remaining = remaining - $4 WHERE member_id = $1 AND id = $3 RETURNING id
)
INSERT INTO lot_consumptions (member_id, transfer_id, lot_id, points)
SELECT $1, $2, id, $4 FROM lot
ON CONFLICT (member_id, transfer_id, lot_id)
DO UPDATE SET points = lot_consumptions.points + EXCLUDED.points)~";

inline constexpr const char* kReduceDebt = R"~(
UPDATE members SET debt = debt - $2 WHERE id = $1 RETURNING balance, held, debt)~";

// --- expiry and bonuses -------------------------------------------------------------

// Operator-funded sign-up bonus: transfer, lot (no issuer) and balance, at
// most once per member (transfers_one_signup_bonus).
inline constexpr const char* kGrantSignupBonus = R"~(
WITH transfer AS (
  INSERT INTO transfers (member_id, debit_account_id, credit_account_id, points, kind, reference)
  SELECT $1, id, $1, $2, 'BONUS', 'SIGNUP' FROM accounts WHERE kind = 'OPERATOR'
  ON CONFLICT (member_id) WHERE kind = 'BONUS' AND reference = 'SIGNUP' DO NOTHING
  RETURNING id, created_at
), lot AS (
  INSERT INTO lots (member_id, issuer_partner_id, points, remaining, earned_at, expires_at,
                    source_transfer_id)
  SELECT $1, NULL, $2, $2, created_at, )~" COALITION_SQL_TIME("$3") R"~(, id FROM transfer
)
UPDATE members SET balance = balance + $2
WHERE id = $1 AND EXISTS (SELECT 1 FROM transfer)
RETURNING balance)~";

// Members with points to expire by $1: lots past their expiry, or all lots
// of members inactive since $2 (NULL: no inactivity lapse).
inline constexpr const char* kMembersWithExpiry = R"~(
(SELECT DISTINCT member_id FROM lots
 WHERE remaining > 0 AND expires_at <= )~" COALITION_SQL_TIME("$1") R"~( LIMIT $3)
UNION
(SELECT id FROM members
 WHERE $2::bigint IS NOT NULL AND balance > 0
   AND last_activity_at <= )~" COALITION_SQL_TIME("$2") R"~( LIMIT $3))~";

inline constexpr const char* kLockMemberForExpiry = R"~(
SELECT balance, held, debt,
       coalesce($2::bigint IS NOT NULL AND last_activity_at <= )~" COALITION_SQL_TIME("$2") R"~(,
                false)
FROM members WHERE id = $1 FOR UPDATE)~";

// The member's lots that expire by $2 (all of them when $3: inactivity),
// in the order debits consume them.
inline constexpr const char* kExpiringLots = R"~(
SELECT id, remaining, issuer_partner_id FROM lots
WHERE member_id = $1 AND remaining > 0
  AND ($3 OR expires_at <= )~" COALITION_SQL_TIME("$2") R"~()
ORDER BY expires_at ASC NULLS LAST, earned_at, id)~";

// Expires $3 points of one lot into the breakage account: one transfer per
// lot (partner_id = the issuer), so breakage is known per issuer.
inline constexpr const char* kExpireLot = R"~(
WITH transfer AS (
  INSERT INTO transfers (member_id, debit_account_id, credit_account_id, points, kind,
                         partner_id, reference)
  SELECT $1, $1, id, $3, 'EXPIRY', $4, $5 FROM accounts WHERE kind = 'BREAKAGE'
  RETURNING id
), lot AS (
  UPDATE lots SET remaining = remaining - $3 WHERE member_id = $1 AND id = $2 RETURNING id
)
INSERT INTO lot_consumptions (member_id, transfer_id, lot_id, points)
SELECT $1, transfer.id, lot.id, $3 FROM transfer, lot)~";

inline constexpr const char* kDebitExpired =
    "UPDATE members SET balance = balance - $2 WHERE id = $1";

// Expired points per issuer (NULL: operator-funded) in [$1, $2).
inline constexpr const char* kBreakageReport = R"~(
SELECT t.partner_id, coalesce(p.code, ''), count(*), sum(t.points)::bigint
FROM transfers t LEFT JOIN partners p ON p.id = t.partner_id
WHERE t.kind = 'EXPIRY'
  AND t.created_at >= )~" COALITION_SQL_TIME("$1") R"~(
  AND t.created_at < )~" COALITION_SQL_TIME("$2") R"~(
GROUP BY t.partner_id, p.code ORDER BY t.partner_id NULLS FIRST)~";

// --- earn rules and campaigns ---------------------------------------------------

// The partner's ($1) earn rules in force at `time` and the purchase
// campaigns live then at the partner (or at every partner) with budget left,
// as two JSON columns. One definition for kLiveEarnTerms and kOpenAccrual.
#define COALITION_SQL_EARN_TERMS(time)                                                      \
  "(SELECT rules::text FROM earn_rules WHERE partner_id = $1 AND effective_from <= "        \
  COALITION_SQL_TIME(time) " ORDER BY effective_from DESC LIMIT 1), "                     \
  "(SELECT json_agg(json_build_object('campaign_id', id, 'categories', categories, "       \
  "'multiplier_bps', multiplier_bps, 'fixed_points', fixed_points, "                       \
  "'min_spend_minor', min_spend_minor) ORDER BY id)::text FROM campaigns "                 \
  "WHERE (partner_id = $1 OR partner_id IS NULL) AND awarded_points < budget_points "      \
  "AND kind = 'PURCHASE' AND starts_at <= " COALITION_SQL_TIME(time) " AND ends_at > "     \
  COALITION_SQL_TIME(time) ")"

// The earn terms at $2.
inline constexpr const char* kLiveEarnTerms = "SELECT " COALITION_SQL_EARN_TERMS("$2");

inline constexpr const char* kInsertEarnRules = R"~(
INSERT INTO earn_rules (partner_id, effective_from, rules)
VALUES ($1, )~" COALITION_SQL_TIME("$2") R"~(, $3::jsonb)
ON CONFLICT (partner_id, effective_from) DO UPDATE SET rules = EXCLUDED.rules)~";

// Budget left, the member's cap left (NULL: no cap) and the funder; locks
// the campaign so concurrent accruals never overspend it.
inline constexpr const char* kLockCampaign = R"~(
SELECT c.budget_points - c.awarded_points,
       CASE WHEN c.member_cap_points = 0 THEN NULL
            ELSE c.member_cap_points - coalesce(a.points, 0) END,
       c.funded_by, c.partner_id
FROM campaigns c
LEFT JOIN campaign_awards a ON a.campaign_id = c.id AND a.member_id = $2
WHERE c.id = $1 FOR UPDATE OF c)~";

inline constexpr const char* kAwardCampaign = R"~(
WITH campaign AS (
  UPDATE campaigns SET awarded_points = awarded_points + $3 WHERE id = $1
)
INSERT INTO campaign_awards (campaign_id, member_id, points) VALUES ($1, $2, $3)
ON CONFLICT (campaign_id, member_id) DO UPDATE SET points = campaign_awards.points + EXCLUDED.points)~";

// Credits a member from a system account ($2) with a lot of issuer $6 (NULL:
// operator-funded) expiring at $7.
inline constexpr const char* kCreditMember = R"~(
WITH transfer AS (
  INSERT INTO transfers (member_id, debit_account_id, credit_account_id, points, kind,
                         partner_id, reference)
  VALUES ($1, $2, $1, $3, $4, $5, $8)
  RETURNING id, created_at
), lot AS (
  INSERT INTO lots (member_id, issuer_partner_id, points, remaining, earned_at, expires_at,
                    source_transfer_id)
  SELECT $1, $6, $3, $3, created_at, )~" COALITION_SQL_TIME("$7") R"~(, id FROM transfer
), member AS (
  UPDATE members SET balance = balance + $3 WHERE id = $1 RETURNING balance, debt
)
SELECT transfer.id, member.balance, member.debt FROM transfer, member)~";

inline constexpr const char* kOperatorAccount =
    "SELECT id FROM accounts WHERE kind = 'OPERATOR'";

inline constexpr const char* kInsertCampaign = R"~(
INSERT INTO campaigns (name, partner_id, starts_at, ends_at, categories, multiplier_bps,
                       fixed_points, min_spend_minor, funded_by, budget_points, member_cap_points)
VALUES ($1, $2, )~" COALITION_SQL_TIME("$3") ", " COALITION_SQL_TIME("$4") R"~(, $5::jsonb, $6, $7,
        $8, $9, $10, $11)
RETURNING id)~";
// --- settlement ----------------------------------------------------------------

// Epoch microseconds of a timestamptz; NULL for -infinity (initial economics).
#define COALITION_SQL_MICROS(column) \
  "(CASE WHEN isfinite(" column ") THEN (extract(epoch from " column ") * 1000000)::bigint END)"

// Serializes settlement runs (transaction-scoped; released at commit).
inline constexpr const char* kLockSettlement = "SELECT pg_advisory_xact_lock(6006005)";

inline constexpr const char* kBatchColumns =
    "id, " COALITION_SQL_MICROS("cutoff") ", mode, request_id, currency_code, transfer_count, "
    "member_liability_change, liability_before, " COALITION_SQL_MICROS("created_at");

// The database clock, and the cutoff of the latest batch.
inline constexpr const char* kSettlementClock =
    "SELECT " COALITION_SQL_MICROS("clock_timestamp()") ", (SELECT " COALITION_SQL_MICROS(
        "max(cutoff)") " FROM settlement_batches)";

inline constexpr const char* kOpenBatch = R"~(
INSERT INTO settlement_batches (cutoff, mode, request_id, currency_code, status, liability_before)
VALUES ()~" COALITION_SQL_TIME("$1") R"~(, $2, $3, $4, 'OPEN',
        coalesce((SELECT liability_before + member_liability_change FROM settlement_batches
                  ORDER BY id DESC LIMIT 1), 0))
RETURNING id)~";

// Claims the unsettled transfers created before the cutoff ($2) for batch
// $1 and records what they did, grouped, in one pass: the transfers are
// read once (by the UPDATE) however many of them there are. Each is priced
// at the partner's economics in force at its created_at; a clawback at the
// price of the accrual it reverses, a refund at the rate of the debit it
// restores. Lot provenance says whose points were redeemed, refunded or
// expired. A transfer that no rate covers leaves rate_micros NULL and fails
// the whole run rather than settle at a guess. Returns the number of
// transfers and the member accounts' net change (credits − debits).
inline constexpr const char* kClaimAndAggregate = R"~(
WITH claimed AS (
  UPDATE transfers SET settlement_batch_id = $1
  WHERE settlement_batch_id IS NULL AND created_at < )~" COALITION_SQL_TIME("$2") R"~(
  RETURNING member_id, id, kind, partner_id, points, created_at, reverses_transfer_id,
            credit_account_id = member_id AS credits_member
), periods AS (
  SELECT partner_id, effective_from,
         coalesce(lead(effective_from) OVER (PARTITION BY partner_id ORDER BY effective_from),
                  'infinity') AS effective_to,
         issuance_price_micros, redemption_rate_micros
  FROM partner_economics
), issuance AS (
  SELECT c.kind, c.partner_id, c.points,
         CASE WHEN c.kind = 'CLAWBACK' AND c.reverses_transfer_id IS NOT NULL THEN
           coalesce((SELECT o.created_at FROM transfers o
                     WHERE o.member_id = c.member_id AND o.id = c.reverses_transfer_id),
                    c.created_at)
         ELSE c.created_at END AS priced_at
  FROM claimed c WHERE c.kind IN ('ACCRUAL', 'CLAWBACK')
), rows AS (
  SELECT CASE i.kind WHEN 'ACCRUAL' THEN 'ISSUED' ELSE 'CLAWED_BACK' END AS measure,
         i.partner_id, NULL::bigint AS issuer, p.issuance_price_micros AS rate, i.points
  FROM issuance i
  LEFT JOIN periods p ON p.partner_id = i.partner_id AND i.priced_at >= p.effective_from
                     AND i.priced_at < p.effective_to
  UNION ALL
  SELECT CASE c.kind WHEN 'EXPIRY' THEN 'EXPIRED' ELSE 'REDEEMED' END,
         CASE c.kind WHEN 'EXPIRY' THEN NULL ELSE c.partner_id END,
         l.issuer_partner_id,
         CASE c.kind WHEN 'EXPIRY' THEN 0 ELSE p.redemption_rate_micros END,
         lc.points
  FROM claimed c
  JOIN lot_consumptions lc ON lc.member_id = c.member_id AND lc.transfer_id = c.id
  JOIN lots l ON l.member_id = lc.member_id AND l.id = lc.lot_id
  LEFT JOIN periods p ON p.partner_id = c.partner_id AND c.created_at >= p.effective_from
                     AND c.created_at < p.effective_to
  WHERE c.kind IN ('REDEMPTION', 'HOLD_CAPTURE', 'EXPIRY')
  UNION ALL
  SELECT 'REFUNDED', c.partner_id, l.issuer_partner_id, p.redemption_rate_micros, r.points
  FROM claimed c
  JOIN lot_restorations r ON r.member_id = c.member_id AND r.refund_transfer_id = c.id
  JOIN lots l ON l.member_id = r.member_id AND l.id = r.consumed_lot_id
  JOIN transfers d ON d.member_id = r.member_id AND d.id = r.debit_transfer_id
  LEFT JOIN periods p ON p.partner_id = c.partner_id AND d.created_at >= p.effective_from
                     AND d.created_at < p.effective_to
  WHERE c.kind = 'REFUND'
  UNION ALL
  SELECT 'BONUS', c.partner_id, NULL, 0, c.points FROM claimed c WHERE c.kind = 'BONUS'
), activity AS (
  INSERT INTO settlement_activity (batch_id, measure, partner_id, issuer_partner_id, rate_micros,
                                   points)
  SELECT $1, measure, partner_id, issuer, rate, sum(points)
  FROM rows GROUP BY measure, partner_id, issuer, rate
  RETURNING 1
)
SELECT count(*),
       coalesce(sum(CASE WHEN credits_member THEN points ELSE -points END), 0)::bigint,
       (SELECT count(*) FROM activity)
FROM claimed)~";

inline constexpr const char* kCloseBatch = R"~(
UPDATE settlement_batches SET status = 'CLOSED', transfer_count = $2, member_liability_change = $3
WHERE id = $1 AND status = 'OPEN')~";

inline constexpr const char* kBatchActivity = R"~(
SELECT measure, partner_id, issuer_partner_id, rate_micros, points
FROM settlement_activity WHERE batch_id = $1
ORDER BY measure, partner_id NULLS FIRST, issuer_partner_id NULLS FIRST, rate_micros)~";

inline constexpr const char* kBatchPartners = R"~(
SELECT id, code FROM partners
WHERE created_at <= (SELECT created_at FROM settlement_batches WHERE id = $1)
   OR id IN (SELECT partner_id FROM settlement_activity WHERE batch_id = $1
             UNION SELECT issuer_partner_id FROM settlement_activity WHERE batch_id = $1)
ORDER BY id)~";

inline constexpr const char* kEconomicsColumns =
    "partner_id, " COALITION_SQL_MICROS("effective_from") ", issuance_price_micros, "
    "redemption_rate_micros, " COALITION_SQL_MICROS("created_at");

// $2 NULL: from now. A time already past fails the table's CHECK; a change
// scheduled for the same instant is replaced.
inline constexpr const char* kSetEconomics = R"~(
INSERT INTO partner_economics (partner_id, effective_from, issuance_price_micros,
                               redemption_rate_micros)
VALUES ($1, coalesce()~" COALITION_SQL_TIME("$2") R"~(, now()), $3, $4)
ON CONFLICT (partner_id, effective_from) DO UPDATE SET
  issuance_price_micros = EXCLUDED.issuance_price_micros,
  redemption_rate_micros = EXCLUDED.redemption_rate_micros
RETURNING )~";

// --- mTLS client certificate identities (V0013) --------------------------------

inline constexpr const char* kClientCertificateColumns =
    "id, partner_id, match, identity, (extract(epoch from created_at) * 1000000)::bigint, "
    "(extract(epoch from revoked_at) * 1000000)::bigint";

// No row when the identity is already active (the partial unique index).
inline constexpr const char* kInsertClientCertificate = R"~(
INSERT INTO client_certificates (partner_id, match, identity)
VALUES ($1, $2, $3)
ON CONFLICT (match, identity) WHERE revoked_at IS NULL DO NOTHING
RETURNING id, partner_id, match, identity, (extract(epoch from created_at) * 1000000)::bigint,
          (extract(epoch from revoked_at) * 1000000)::bigint)~";

inline constexpr const char* kRevokeClientCertificate = R"~(
UPDATE client_certificates SET revoked_at = coalesce(revoked_at, now())
WHERE id = $1
RETURNING id, partner_id, match, identity, (extract(epoch from created_at) * 1000000)::bigint,
          (extract(epoch from revoked_at) * 1000000)::bigint)~";

// $1: partner id, or 0 for every partner.
inline constexpr const char* kListClientCertificates = R"~(
SELECT id, partner_id, match, identity, (extract(epoch from created_at) * 1000000)::bigint,
       (extract(epoch from revoked_at) * 1000000)::bigint
FROM client_certificates
WHERE ($1 = 0 OR partner_id = $1) AND id > $2
ORDER BY id LIMIT $3)~";

// The partner of an active identity.
inline constexpr const char* kFindClientCertificatePartner = R"~(
SELECT partner_id FROM client_certificates
WHERE match = $1 AND identity = $2 AND revoked_at IS NULL)~";

}  // namespace coalition::storage::sql

// --- member PII (sealed; see crypto/pii.h) ------------------------------------

namespace coalition::storage::sql {

// Ciphertexts and blind indexes travel as hex; an empty index is NULL.
inline constexpr const char* kInsertSealedProfile = R"~(
INSERT INTO member_profiles (member_id, supplied_by_partner_id, key_id, given_name_sealed,
                             family_name_sealed, email_sealed, phone_sealed, email_index,
                             phone_index, sealed_at, date_of_birth_sealed)
VALUES ($1, $2, $3, decode($4, 'hex'), decode($5, 'hex'), decode($6, 'hex'), decode($7, 'hex'),
        decode(nullif($8, ''), 'hex'), decode(nullif($9, ''), 'hex'), now(),
        decode($10, 'hex')))~";

inline constexpr const char* kProfileColumns =
    "member_id, key_id, given_name, family_name, email, phone, "
    "encode(given_name_sealed, 'hex'), encode(family_name_sealed, 'hex'), "
    "encode(email_sealed, 'hex'), encode(phone_sealed, 'hex'), "
    "encode(date_of_birth_sealed, 'hex')";

// Only the partner that supplied a profile reads it back.
inline constexpr const char* kGetProfileWhere =
    " FROM member_profiles WHERE member_id = $1 AND supplied_by_partner_id = $2";

inline constexpr const char* kFindMembersByEmailIndex = R"~(
SELECT member_id FROM member_profiles
WHERE supplied_by_partner_id = $1 AND email_index = decode($2, 'hex')
ORDER BY member_id LIMIT 2)~";

inline constexpr const char* kFindMembersByPhoneIndex = R"~(
SELECT member_id FROM member_profiles
WHERE supplied_by_partner_id = $1 AND phone_index = decode($2, 'hex')
ORDER BY member_id LIMIT 2)~";

// A batch not yet under the active key $1 ($2: only legacy plaintext rows).
// SKIP LOCKED lets two rotations (two instances) share the work.
inline constexpr const char* kProfilesToResealWhere = R"~(
 FROM member_profiles
WHERE key_id IS DISTINCT FROM $1 AND (NOT $2::boolean OR key_id IS NULL)
ORDER BY member_id LIMIT $3 FOR UPDATE SKIP LOCKED)~";

inline constexpr const char* kResealProfile = R"~(
UPDATE member_profiles SET
  key_id = $2, given_name = NULL, family_name = NULL, email = NULL, phone = NULL,
  given_name_sealed = decode($3, 'hex'), family_name_sealed = decode($4, 'hex'),
  email_sealed = decode($5, 'hex'), phone_sealed = decode($6, 'hex'),
  email_index = decode(nullif($7, ''), 'hex'), phone_index = decode(nullif($8, ''), 'hex'),
  date_of_birth_sealed = decode($9, 'hex'), sealed_at = now()
WHERE member_id = $1)~";

inline constexpr const char* kCountProfilesToReseal = R"~(
SELECT count(*) FROM member_profiles
WHERE key_id IS DISTINCT FROM $1 AND (NOT $2::boolean OR key_id IS NULL))~";

}  // namespace coalition::storage::sql

// --- audit log (append-only: V0006 triggers refuse UPDATE and DELETE) ---------

namespace coalition::storage::sql {

// $5 code is NULL for an INTENT; $11 intent_id is 0 for none.
inline constexpr const char* kAppendAudit = R"~(
INSERT INTO audit_log (actor, role, method, request_id, code, reason, request, before, after,
                       phase, intent_id)
VALUES ($1, $2, $3, $4, $5, $6, nullif($7, '')::jsonb, nullif($8, '')::jsonb,
        nullif($9, '')::jsonb, $10, nullif($11::bigint, 0))
RETURNING id)~";

inline constexpr const char* kListAudit = R"~(
SELECT id, (extract(epoch from occurred_at) * 1000000)::bigint, actor, role, method, request_id,
       code, reason, coalesce(request::text, ''), coalesce(before::text, ''),
       coalesce(after::text, ''), phase, coalesce(intent_id, 0)
FROM audit_log WHERE $1 = 0 OR id < $1
ORDER BY id DESC LIMIT $2)~";

}  // namespace coalition::storage::sql

// --- bulk accrual (PgLedgerStore::BatchAccrue) --------------------------------
// One transaction per chunk of a partner's file. The chunk's lines are COPYed
// into temporary tables that live until the transaction ends; these
// statements are executed unprepared, since their tables are new each time.

namespace coalition::storage::sql {

inline constexpr const char* kBulkCreateLines = R"~(
CREATE TEMPORARY TABLE bulk_accrual_lines (
  line_no integer NOT NULL, request_id text NOT NULL, card_number text NOT NULL,
  receipt_id text NOT NULL
) ON COMMIT DROP)~";

// Per line: the card's member (NULL: unknown card), and an earlier request
// with this request_id (its hash and stored response), if any.
inline constexpr const char* kBulkResolveLines = R"~(
SELECT l.line_no, c.member_id, encode(k.request_hash, 'hex'), k.response::text
FROM bulk_accrual_lines l
LEFT JOIN cards c ON c.card_number = l.card_number
LEFT JOIN idempotency_keys k ON k.partner_id = $1 AND k.request_id = l.request_id)~";

// Locks the members the chunk credits, in id order (as every bulk chunk
// does; live requests lock one member), and reads their balances.
inline constexpr const char* kBulkLockMembers = R"~(
SELECT id, balance, debt FROM members WHERE id = ANY($1::bigint[])
ORDER BY id FOR NO KEY UPDATE)~";

// Locks the purchases of the chunk's receipts, in receipt order.
inline constexpr const char* kBulkLockPurchases = R"~(
SELECT receipt_id, member_id, currency_code, amount_refunded_minor FROM purchases
WHERE partner_id = $1
  AND receipt_id IN (SELECT receipt_id FROM bulk_accrual_lines WHERE receipt_id <> '')
ORDER BY receipt_id FOR UPDATE)~";

inline constexpr const char* kBulkTransferIds =
    "SELECT nextval(pg_get_serial_sequence('transfers', 'id')) FROM generate_series(1, $1)";

// The lines to apply, each with its transfer id (0: earns nothing, no
// transfer) and the response a retry of it gets back.
inline constexpr const char* kBulkCreateApplied = R"~(
CREATE TEMPORARY TABLE bulk_accrual_applied (
  request_id text NOT NULL, request_hash text NOT NULL, method text NOT NULL,
  member_id bigint NOT NULL, transfer_id bigint NOT NULL, points bigint NOT NULL,
  amount_minor bigint NOT NULL, currency_code text NOT NULL, store_id text NOT NULL,
  receipt_id text NOT NULL, occurred_at_set boolean NOT NULL, occurred_at bigint NOT NULL,
  response text NOT NULL
) ON COMMIT DROP)~";

// Claims every line's request_id with its response; a line claimed by a
// concurrent request since kBulkResolveLines makes this insert fewer rows.
inline constexpr const char* kBulkClaim = R"~(
INSERT INTO idempotency_keys (partner_id, request_id, method, request_hash, response)
SELECT $1, request_id, method, decode(request_hash, 'hex'), response::jsonb
FROM bulk_accrual_applied ORDER BY request_id
ON CONFLICT (partner_id, request_id) DO NOTHING)~";

// Transfers from the partner's issuance account ($2) and their lots,
// expiring at $3, as kAccrue posts them.
inline constexpr const char* kBulkPostTransfers = R"~(
WITH transfer AS (
  INSERT INTO transfers (id, member_id, debit_account_id, credit_account_id, points, kind,
                         partner_id, request_id, amount_minor, currency_code, store_id,
                         receipt_id, occurred_at)
  OVERRIDING SYSTEM VALUE
  SELECT transfer_id, member_id, $2, member_id, points, 'ACCRUAL', $1, request_id,
         amount_minor, currency_code, store_id, receipt_id,
         CASE WHEN occurred_at_set THEN )~" COALITION_SQL_TIME("occurred_at") R"~( ELSE now() END
  FROM bulk_accrual_applied WHERE transfer_id <> 0
  RETURNING id, member_id, points, created_at
)
INSERT INTO lots (member_id, issuer_partner_id, points, remaining, earned_at, expires_at,
                  source_transfer_id)
SELECT member_id, $1, points, points, created_at, )~" COALITION_SQL_TIME("$3") R"~(, id
FROM transfer)~";

// One update per member, of everything the chunk credits it.
inline constexpr const char* kBulkCreditMembers = R"~(
UPDATE members m SET balance = m.balance + credit.points,
                     last_activity_at = )~" COALITION_SQL_TIME("$1") R"~(
FROM (SELECT member_id, sum(points)::bigint AS points FROM bulk_accrual_applied
      WHERE transfer_id <> 0 GROUP BY member_id) credit
WHERE m.id = credit.member_id)~";

// Adds the chunk's cash and earned points to its receipts' purchases (the
// conflicts were rejected per line under the purchases' locks; the guard
// stays as in kAddPurchaseCash).
inline constexpr const char* kBulkAddPurchases = R"~(
INSERT INTO purchases (partner_id, receipt_id, member_id, currency_code, cash_paid_minor,
                       points_earned)
SELECT $1, receipt_id, min(member_id), min(currency_code), sum(amount_minor)::bigint,
       sum(points)::bigint
FROM bulk_accrual_applied WHERE receipt_id <> ''
GROUP BY receipt_id ORDER BY receipt_id
ON CONFLICT (partner_id, receipt_id) DO UPDATE SET
  cash_paid_minor = purchases.cash_paid_minor + EXCLUDED.cash_paid_minor,
  points_earned = purchases.points_earned + EXCLUDED.points_earned,
  updated_at = now()
WHERE purchases.member_id = EXCLUDED.member_id AND purchases.amount_refunded_minor = 0
  AND purchases.currency_code = EXCLUDED.currency_code)~";

}  // namespace coalition::storage::sql

// --- accrual hot path ------------------------------------------------------------

namespace coalition::storage::sql {

// Opens an accrual in one round trip: claims (partner $1, request_id $2) as
// kClaimRequest does, and reads the card's member ($5; NULL: unknown) and
// the earn terms live at $6 as kLiveEarnTerms does. A concurrent duplicate
// blocks the claim until it commits or rolls back.
inline constexpr const char* kOpenAccrual = R"~(
WITH claim AS (
  INSERT INTO idempotency_keys (partner_id, request_id, method, request_hash)
  VALUES ($1, $2, $3, decode($4, 'hex'))
  ON CONFLICT (partner_id, request_id) DO NOTHING
  RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM claim),
       (SELECT member_id FROM cards WHERE card_number = $5),
       )~" COALITION_SQL_EARN_TERMS("$6");

}  // namespace coalition::storage::sql

// --- tiers (V0011) -------------------------------------------------------------

namespace coalition::storage::sql {

// The calendar month (UTC) of a bigint of epoch microseconds, and the first
// month of the rolling 12 months that end with it.
#define COALITION_SQL_MONTH(param) \
  "(date_trunc('month', " COALITION_SQL_TIME(param) " AT TIME ZONE 'UTC'))::date"
#define COALITION_SQL_WINDOW_START(param) \
  "(" COALITION_SQL_MONTH(param) " - interval '11 months')::date"

// The version of the tier table in force at $1 (latest effective_from, then
// latest id): its id, effective_from and grace days.
#define COALITION_SQL_TIER_TABLE_AT(param)                                          \
  "(SELECT id, effective_from, grace_days FROM tier_tables WHERE effective_from <= " \
  COALITION_SQL_TIME(param) " ORDER BY effective_from DESC, id DESC LIMIT 1)"

// The tiers of a version as a JSON array of [name, threshold, multiplier],
// by rank.
#define COALITION_SQL_TIERS_JSON(table_id)                                              \
  "(SELECT json_agg(json_build_array(name, threshold_points, earn_multiplier_bps) "     \
  "ORDER BY rank)::text FROM tiers WHERE table_id = " table_id ")"

// Locks member $1 and returns the tier table in force at $2 (tiers JSON and
// grace days, NULL when none) and the member's tier (rank, below_since).
// Every change of a member's tier runs after this, so accruals and reviews of
// one member take turns.
inline constexpr const char* kLockMemberTier = R"~(
WITH t AS )~" COALITION_SQL_TIER_TABLE_AT("$2") R"~(
SELECT )~" COALITION_SQL_TIERS_JSON("(SELECT id FROM t)") R"~(,
       (SELECT grace_days FROM t),
       coalesce(s.tier_rank, 0),
       (extract(epoch from s.below_since) * 1000000)::bigint
FROM members m LEFT JOIN member_tiers s ON s.member_id = m.id
WHERE m.id = $1
FOR UPDATE OF m)~";

// Adds $2 qualifying points (negative for a clawback) in the month of $3;
// returns the member's qualifying points over the 12 months ending then.
// (The sum cannot see the upsert's row, a CTE's snapshot being the
// statement's, so it adds the other months to the upserted bucket.)
inline constexpr const char* kAddQualifyingPoints = R"~(
WITH bucket AS (
  INSERT INTO member_qualifying_points (member_id, month, points)
  VALUES ($1, )~" COALITION_SQL_MONTH("$3") R"~(, $2)
  ON CONFLICT (member_id, month)
  DO UPDATE SET points = member_qualifying_points.points + EXCLUDED.points
  RETURNING points
)
SELECT ((SELECT points FROM bucket) +
        coalesce((SELECT sum(points) FROM member_qualifying_points
                  WHERE member_id = $1 AND month >= )~" COALITION_SQL_WINDOW_START("$3") R"~(
                    AND month < )~" COALITION_SQL_MONTH("$3") R"~(), 0))::bigint)~";

inline constexpr const char* kQualifyingPoints = R"~(
SELECT coalesce(sum(points), 0)::bigint FROM member_qualifying_points
WHERE member_id = $1 AND month >= )~" COALITION_SQL_WINDOW_START("$2") R"~(
  AND month <= )~" COALITION_SQL_MONTH("$2");

// Stores member $1's tier: rank $2, below_since $3 (NULL: not below), at $4
// (`since` moves only when the rank does); $5 says a review did it.
inline constexpr const char* kSetMemberTier = R"~(
INSERT INTO member_tiers (member_id, tier_rank, since, below_since, reviewed_at)
VALUES ($1, $2, )~" COALITION_SQL_TIME("$4") ", " COALITION_SQL_TIME("$3") R"~(,
        CASE WHEN $5 THEN )~" COALITION_SQL_TIME("$4") R"~( END)
ON CONFLICT (member_id) DO UPDATE SET
  since = CASE WHEN member_tiers.tier_rank = EXCLUDED.tier_rank THEN member_tiers.since
               ELSE EXCLUDED.since END,
  tier_rank = EXCLUDED.tier_rank,
  below_since = EXCLUDED.below_since,
  reviewed_at = coalesce(EXCLUDED.reviewed_at, member_tiers.reviewed_at))~";

// What GetMember shows: the table in force at $2, the member's rank and
// qualifying points; and the table's grace days.
inline constexpr const char* kMemberTier = R"~(
WITH t AS )~" COALITION_SQL_TIER_TABLE_AT("$2") R"~(
SELECT )~" COALITION_SQL_TIERS_JSON("(SELECT id FROM t)") R"~(,
       coalesce((SELECT tier_rank FROM member_tiers WHERE member_id = $1), 0),
       coalesce((SELECT sum(points) FROM member_qualifying_points
                 WHERE member_id = $1 AND month >= )~" COALITION_SQL_WINDOW_START("$2") R"~(
                   AND month <= )~" COALITION_SQL_MONTH("$2") R"~(), 0)::bigint,
       (SELECT grace_days FROM t))~";

// A batch for the review: members with id > $1 that hold a tier row or have
// qualifying points in the 12 months ending at $2, by id, at most $3, with
// their tier and qualifying points (rechecked under the member lock before
// anything changes).
inline constexpr const char* kTierReviewCandidates = R"~(
WITH ids AS (
  SELECT member_id FROM (
    (SELECT member_id FROM member_tiers WHERE member_id > $1 ORDER BY member_id LIMIT $3)
    UNION
    (SELECT DISTINCT member_id FROM member_qualifying_points
     WHERE member_id > $1 AND month >= )~" COALITION_SQL_WINDOW_START("$2") R"~(
       AND month <= )~" COALITION_SQL_MONTH("$2") R"~(
     ORDER BY member_id LIMIT $3)
  ) c ORDER BY member_id LIMIT $3
)
SELECT ids.member_id, coalesce(s.tier_rank, 0),
       (extract(epoch from s.below_since) * 1000000)::bigint,
       coalesce((SELECT sum(points) FROM member_qualifying_points q
                 WHERE q.member_id = ids.member_id
                   AND q.month >= )~" COALITION_SQL_WINDOW_START("$2") R"~(
                   AND q.month <= )~" COALITION_SQL_MONTH("$2") R"~(), 0)::bigint
FROM ids LEFT JOIN member_tiers s ON s.member_id = ids.member_id
ORDER BY ids.member_id)~";

inline constexpr const char* kInsertTierTable = R"~(
INSERT INTO tier_tables (effective_from, grace_days)
VALUES ()~" COALITION_SQL_TIME("$1") R"~(, $2)
RETURNING id)~";

inline constexpr const char* kInsertTier = R"~(
INSERT INTO tiers (table_id, rank, name, threshold_points, earn_multiplier_bps)
VALUES ($1, $2, $3, $4, $5))~";

// The version in force at $1 and every later one not superseded, by
// effective_from: effective_from, grace days, tiers JSON.
inline constexpr const char* kListTierTables = R"~(
WITH in_force AS )~" COALITION_SQL_TIER_TABLE_AT("$1") R"~(,
versions AS (
  SELECT id, effective_from, grace_days FROM in_force
  UNION ALL
  (SELECT DISTINCT ON (effective_from) id, effective_from, grace_days FROM tier_tables
   WHERE effective_from > )~" COALITION_SQL_TIME("$1") R"~(
   ORDER BY effective_from, id DESC)
)
SELECT (extract(epoch from v.effective_from) * 1000000)::bigint, v.grace_days,
       )~" COALITION_SQL_TIERS_JSON("v.id") R"~(
FROM versions v ORDER BY v.effective_from)~";

}  // namespace coalition::storage::sql

// --- targeted bonuses, first-at-brand campaigns, redemption forecast (V0012) ---

namespace coalition::storage::sql {

inline constexpr const char* kGrantColumns =
    "g.id, g.request_id, encode(g.request_hash, 'hex'), g.segment, coalesce(g.top_percent, 0), "
    "(extract(epoch from g.spend_from) * 1000000)::bigint, "
    "(extract(epoch from g.spend_to) * 1000000)::bigint, coalesce(g.lapsed_days, 0), "
    "(extract(epoch from g.as_of) * 1000000)::bigint, g.points, g.reason, g.actor, "
    "g.member_count, g.total_points, (extract(epoch from g.created_at) * 1000000)::bigint, "
    "(SELECT count(*) FROM bonus_grant_members m "
    " WHERE m.grant_id = g.id AND m.transfer_id IS NOT NULL)";

// Cash accrued per member in [$1, $2) (the top-spenders segment).
inline constexpr const char* kSpendByMember = R"~(
SELECT member_id, sum(amount_minor)::bigint FROM transfers
WHERE kind = 'ACCRUAL' AND amount_minor IS NOT NULL
  AND created_at >= )~" COALITION_SQL_TIME("$1") R"~(
  AND created_at < )~" COALITION_SQL_TIME("$2") R"~(
GROUP BY member_id)~";

// Members without earn or spend since $1 (never active: since enrolment).
inline constexpr const char* kLapsingMembers = R"~(
SELECT id FROM members
WHERE coalesce(last_activity_at, enrolled_at) <= )~" COALITION_SQL_TIME("$1") R"~(
ORDER BY id)~";

// A concurrent creation of the same request_id waits here for the first to
// commit and then inserts nothing.
inline constexpr const char* kInsertGrant = R"~(
INSERT INTO bonus_grants (request_id, request_hash, segment, top_percent, spend_from, spend_to,
                          lapsed_days, as_of, points, reason, actor, member_count, total_points)
VALUES ($1, decode($2, 'hex'), $3, $4, )~" COALITION_SQL_TIME("$5") ", " COALITION_SQL_TIME(
    "$6") R"~(, $7, )~" COALITION_SQL_TIME("$8") R"~(, $9, $10, $11, $12, $13)
ON CONFLICT (request_id) DO NOTHING
RETURNING id)~";

// The members as a text array literal ('{1,2,3}'): libpqxx 6 has no array
// parameters.
inline constexpr const char* kInsertGrantMembers = R"~(
INSERT INTO bonus_grant_members (grant_id, member_id)
SELECT $1, unnest($2::bigint[]))~";

inline constexpr const char* kPendingGrantMembers = R"~(
SELECT member_id FROM bonus_grant_members
WHERE grant_id = $1 AND transfer_id IS NULL
ORDER BY member_id LIMIT $2)~";

// Locks the member's place in the grant: a concurrent run of the same grant
// waits here, then sees the transfer and credits nothing.
inline constexpr const char* kLockGrantMember = R"~(
SELECT m.transfer_id IS NOT NULL, g.points FROM bonus_grant_members m
JOIN bonus_grants g ON g.id = m.grant_id
WHERE m.grant_id = $1 AND m.member_id = $2
FOR UPDATE OF m)~";

inline constexpr const char* kSetGrantTransfer = R"~(
UPDATE bonus_grant_members SET transfer_id = $3 WHERE grant_id = $1 AND member_id = $2)~";

// First-at-brand campaigns live at $2 at partner $1 (or at every partner)
// with budget left, in id order.
inline constexpr const char* kLiveFirstBrandCampaigns = R"~(
SELECT id, fixed_points, min_spend_minor FROM campaigns
WHERE kind = 'FIRST_AT_BRAND' AND (partner_id = $1 OR partner_id IS NULL)
  AND awarded_points < budget_points
  AND starts_at <= )~" COALITION_SQL_TIME("$2") R"~(
  AND ends_at > )~" COALITION_SQL_TIME("$2") R"~(
ORDER BY id)~";

// Whether member $1 has earned at partner $2 before, and at any other.
inline constexpr const char* kEarnedAtBrands = R"~(
SELECT EXISTS (SELECT 1 FROM transfers
               WHERE member_id = $1 AND partner_id = $2 AND kind = 'ACCRUAL'),
       EXISTS (SELECT 1 FROM transfers
               WHERE member_id = $1 AND partner_id <> $2 AND kind = 'ACCRUAL'))~";

// Once per (member, partner): nothing back when it was already awarded.
inline constexpr const char* kClaimFirstBrandAward = R"~(
INSERT INTO first_brand_awards (member_id, partner_id, campaign_id, points)
VALUES ($1, $2, $3, $4)
ON CONFLICT (member_id, partner_id) DO NOTHING
RETURNING 1)~";

inline constexpr const char* kInsertCampaignOfKind = R"~(
INSERT INTO campaigns (name, partner_id, starts_at, ends_at, categories, multiplier_bps,
                       fixed_points, min_spend_minor, funded_by, budget_points, member_cap_points,
                       kind)
VALUES ($1, $2, )~" COALITION_SQL_TIME("$3") ", " COALITION_SQL_TIME("$4") R"~(, $5::jsonb, $6, $7,
        $8, $9, $10, $11, $12)
RETURNING id)~";

// Monthly cohorts (UTC) of points credited by accruals and bonuses in
// [$1, $2), by lot provenance: what their lots gave to redemptions (net of
// refunds that put points back), to expiry and to clawbacks before $2, and
// the cohort's age in whole months at $2. Clawed-back points count as never
// issued.
inline constexpr const char* kRedemptionCohorts = R"~(
WITH cohort_lots AS (
  SELECT l.member_id, l.id, l.points,
         date_trunc('month', l.earned_at AT TIME ZONE 'UTC') AS month
  FROM lots l
  JOIN transfers s ON s.member_id = l.member_id AND s.id = l.source_transfer_id
  WHERE s.kind IN ('ACCRUAL', 'BONUS')
    AND l.earned_at >= )~" COALITION_SQL_TIME("$1") R"~(
    AND l.earned_at < )~" COALITION_SQL_TIME("$2") R"~(
), used AS (
  SELECT cl.month,
         sum(c.points) FILTER (WHERE t.kind IN ('REDEMPTION', 'HOLD_CAPTURE')) AS redeemed,
         sum(c.points) FILTER (WHERE t.kind = 'EXPIRY') AS expired,
         sum(c.points) FILTER (WHERE t.kind = 'CLAWBACK') AS clawed
  FROM cohort_lots cl
  JOIN lot_consumptions c ON c.member_id = cl.member_id AND c.lot_id = cl.id
  JOIN transfers t ON t.member_id = c.member_id AND t.id = c.transfer_id
  WHERE t.created_at < )~" COALITION_SQL_TIME("$2") R"~(
  GROUP BY cl.month
), restored AS (
  SELECT cl.month, sum(r.points) AS points
  FROM cohort_lots cl
  JOIN lot_restorations r ON r.member_id = cl.member_id AND r.consumed_lot_id = cl.id
  JOIN transfers t ON t.member_id = r.member_id AND t.id = r.refund_transfer_id
  WHERE t.created_at < )~" COALITION_SQL_TIME("$2") R"~(
  GROUP BY cl.month
), issued AS (
  SELECT month, sum(points) AS points FROM cohort_lots GROUP BY month
)
SELECT (extract(epoch from i.month AT TIME ZONE 'UTC') * 1000000)::bigint,
       (i.points - coalesce(u.clawed, 0))::bigint,
       greatest(coalesce(u.redeemed, 0) - coalesce(r.points, 0), 0)::bigint,
       coalesce(u.expired, 0)::bigint,
       ((extract(year from )~" COALITION_SQL_TIME("$2") R"~( AT TIME ZONE 'UTC') * 12
         + extract(month from )~" COALITION_SQL_TIME("$2") R"~( AT TIME ZONE 'UTC'))
        - (extract(year from i.month) * 12 + extract(month from i.month)))::integer
FROM issued i
LEFT JOIN used u ON u.month = i.month
LEFT JOIN restored r ON r.month = i.month
ORDER BY i.month)~";

inline constexpr const char* kFindPartnerIdByRef = R"~(
SELECT id FROM partners WHERE id = $1 OR ($1 IS NULL AND code = $2))~";

inline constexpr const char* kEarnRulesVersions = R"~(
SELECT (extract(epoch from effective_from) * 1000000)::bigint, rules::text FROM earn_rules
WHERE partner_id = $1 ORDER BY effective_from)~";

inline constexpr const char* kListCampaigns = R"~(
SELECT c.id, c.name, coalesce(p.code, ''),
       (extract(epoch from c.starts_at) * 1000000)::bigint,
       (extract(epoch from c.ends_at) * 1000000)::bigint, c.categories::text, c.multiplier_bps,
       c.fixed_points, c.min_spend_minor, c.funded_by, c.budget_points, c.awarded_points,
       c.member_cap_points, c.kind, c.partner_id
FROM campaigns c LEFT JOIN partners p ON p.id = c.partner_id
WHERE ($1 = '' OR p.code = $1) AND c.id > $2
ORDER BY c.id LIMIT $3)~";

}  // namespace coalition::storage::sql
