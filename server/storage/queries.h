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
                 FROM cards WHERE member_id = m.id), '')
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
  INSERT INTO lots (member_id, issuer_partner_id, points, remaining, earned_at,
                    source_transfer_id)
  SELECT $1, $4, $3, $3, created_at, id FROM transfer
), member AS (
  UPDATE members SET balance = balance + $3 WHERE id = $1 RETURNING balance
)
SELECT transfer.id, member.balance FROM transfer, member)~";

inline constexpr const char* kMemberBalance = "SELECT balance FROM members WHERE id = $1";

// Debits only if enough points are available, and locks the member row so the
// lots below are read and consumed by one transaction at a time.
inline constexpr const char* kDebitMember = R"~(
UPDATE members SET balance = balance - $2
WHERE id = $1 AND balance - held >= $2
RETURNING balance, held)~";

inline constexpr const char* kMemberAvailable = "SELECT balance - held FROM members WHERE id = $1";

// Records a debit and consumes lots earliest expiry first (then oldest),
// writing one consumption row per lot touched. Runs after kDebitMember, so
// it sees the lots as of after the member lock was taken.
inline constexpr const char* kRecordDebit = R"~(
WITH transfer AS (
  INSERT INTO transfers (member_id, debit_account_id, credit_account_id, points, kind,
                         partner_id, request_id, reference)
  VALUES ($1, $1, $2, $3, $4, $5, $6, $7)
  RETURNING id
), ordered AS (
  SELECT id, remaining,
         coalesce(sum(remaining) OVER (ORDER BY expires_at ASC NULLS LAST, earned_at, id
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
           AS before
  FROM lots WHERE member_id = $1 AND remaining > 0
), take AS (
  SELECT id, least(remaining, $3 - before) AS points FROM ordered WHERE before < $3
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
    "SELECT balance, held FROM members WHERE id = $1 FOR UPDATE";

inline constexpr const char* kSpendHeld = R"~(
UPDATE members SET balance = balance - $2, held = held - $3
WHERE id = $1
RETURNING balance, held)~";

inline constexpr const char* kReleaseHeld = R"~(
UPDATE members SET held = held - $2 WHERE id = $1 RETURNING balance, held)~";

inline constexpr const char* kDueHoldMembers = R"~(
SELECT DISTINCT member_id FROM holds
WHERE status = 'OPEN' AND expires_at <= )~" COALITION_SQL_TIME("$1") R"~(
LIMIT $2)~";

}  // namespace coalition::storage::sql

// --- member PII (sealed; see crypto/pii.h) ------------------------------------

namespace coalition::storage::sql {

// Ciphertexts and blind indexes travel as hex; an empty index is NULL.
inline constexpr const char* kInsertSealedProfile = R"~(
INSERT INTO member_profiles (member_id, supplied_by_partner_id, key_id, given_name_sealed,
                             family_name_sealed, email_sealed, phone_sealed, email_index,
                             phone_index, sealed_at)
VALUES ($1, $2, $3, decode($4, 'hex'), decode($5, 'hex'), decode($6, 'hex'), decode($7, 'hex'),
        decode(nullif($8, ''), 'hex'), decode(nullif($9, ''), 'hex'), now()))~";

inline constexpr const char* kProfileColumns =
    "member_id, key_id, given_name, family_name, email, phone, "
    "encode(given_name_sealed, 'hex'), encode(family_name_sealed, 'hex'), "
    "encode(email_sealed, 'hex'), encode(phone_sealed, 'hex')";

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
  sealed_at = now()
WHERE member_id = $1)~";

inline constexpr const char* kCountProfilesToReseal = R"~(
SELECT count(*) FROM member_profiles
WHERE key_id IS DISTINCT FROM $1 AND (NOT $2::boolean OR key_id IS NULL))~";

}  // namespace coalition::storage::sql

// --- audit log (append-only: V0006 triggers refuse UPDATE and DELETE) ---------

namespace coalition::storage::sql {

inline constexpr const char* kAppendAudit = R"~(
INSERT INTO audit_log (actor, role, method, request_id, code, reason, request, before, after)
VALUES ($1, $2, $3, $4, $5, $6, nullif($7, '')::jsonb, nullif($8, '')::jsonb,
        nullif($9, '')::jsonb))~";

inline constexpr const char* kListAudit = R"~(
SELECT id, (extract(epoch from occurred_at) * 1000000)::bigint, actor, role, method, request_id,
       code, reason, coalesce(request::text, ''), coalesce(before::text, ''),
       coalesce(after::text, '')
FROM audit_log WHERE $1 = 0 OR id < $1
ORDER BY id DESC LIMIT $2)~";

}  // namespace coalition::storage::sql
