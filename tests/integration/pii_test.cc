// Member PII at rest (SPEC §8) against a real PostgreSQL: what the table
// holds, who reads it back, lookups by blind index, legacy plaintext rows,
// key rotation under live reads, and the append-only audit log.
#include <atomic>
#include <thread>

#include "integration/ledger_fixture.h"

namespace coalition::testing {
namespace {

using domain::ErrorCode;

const domain::MemberProfile kZoe{"Zo\xC3\xAB", "M\xC3\xBCller", "Zoe.Muller@Example.com",
                                 "+1 (555) 010-0200", "1990-04-01"};

class PiiTest : public LedgerFixture {
 protected:
  void SetUp() override {
    market_ = CreatePartner("market");
    fuel_ = CreatePartner("fuel");
  }

  domain::MemberId EnrollWithProfile(const std::string& card,
                                     const domain::MemberProfile& profile) {
    auto enrolled = ledger_.Enroll(market_, {Key("enroll-" + card), card, profile});
    EXPECT_TRUE(enrolled.ok()) << enrolled.error().message;
    return enrolled->member.id;
  }

  // Every column of every profile row as PostgreSQL prints it (bytea as hex).
  std::string RawProfiles() const {
    return db_.QueryValue(
        "SELECT coalesce(string_agg(row_to_json(p)::text, '\n'), '') FROM member_profiles p");
  }

  domain::Partner market_;
  domain::Partner fuel_;
};

TEST_F(PiiTest, TheRawTableHoldsNoPlaintext) {
  const auto member = EnrollWithProfile("PII-CARD-1", kZoe);
  const auto raw = RawProfiles();
  ASSERT_FALSE(raw.empty());
  for (const std::string& value :
       {kZoe.given_name, kZoe.family_name, kZoe.email, kZoe.phone,
        std::string("zoe.muller@example.com"), std::string("15550100200"),
        std::string("Muller"), kZoe.date_of_birth}) {
    // (Short fragments would match random ciphertext hex by chance.)
    EXPECT_EQ(raw.find(value), std::string::npos) << value;
    EXPECT_EQ(raw.find(crypto::HexEncode(value)), std::string::npos) << value;
  }
  EXPECT_EQ(db_.QueryValue("SELECT key_id FROM member_profiles WHERE member_id = " +
                           std::to_string(member)),
            pii_keys_.active_key_id());
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM member_profiles WHERE given_name IS NOT NULL "
                           "OR family_name IS NOT NULL OR email IS NOT NULL OR phone IS NOT NULL"),
            "0");
  // The blind index is the keyed HMAC of the normalised value.
  EXPECT_EQ(db_.QueryValue("SELECT encode(email_index, 'hex') FROM member_profiles"),
            crypto::HexEncode(pii_keys_.EmailIndex("zoe.muller@example.com")));
}

TEST_F(PiiTest, OnlyTheSupplyingPartnerReadsTheProfile) {
  const auto member = EnrollWithProfile("PII-CARD-2", kZoe);
  auto mine = ledger_.GetMemberProfile(market_, member);
  ASSERT_TRUE(mine.ok()) << mine.error().message;
  ASSERT_TRUE(mine->has_value());
  EXPECT_EQ((*mine)->given_name, kZoe.given_name);
  EXPECT_EQ((*mine)->family_name, kZoe.family_name);
  EXPECT_EQ((*mine)->email, kZoe.email);
  EXPECT_EQ((*mine)->phone, kZoe.phone);
  EXPECT_EQ((*mine)->date_of_birth, kZoe.date_of_birth);
  auto theirs = ledger_.GetMemberProfile(fuel_, member);
  ASSERT_TRUE(theirs.ok());
  EXPECT_FALSE(theirs->has_value());
}

TEST_F(PiiTest, LookupByEmailOrPhoneOnlyAmongTheCallersProfiles) {
  const auto member = EnrollWithProfile("PII-CARD-3", kZoe);
  EnrollWithProfile("PII-CARD-4", {"Ann", "Lee", "ann@example.com", "+44 20 7946 0000"});
  auto by_email = ledger_.FindMemberByContact(market_, "  zoe.muller@EXAMPLE.com ", "");
  ASSERT_TRUE(by_email.ok()) << by_email.error().message;
  EXPECT_EQ(*by_email, member);
  auto by_phone = ledger_.FindMemberByContact(market_, "", "15550100200");
  ASSERT_TRUE(by_phone.ok());
  EXPECT_EQ(*by_phone, member);
  // Another partner cannot learn that the email belongs to a member.
  auto foreign = ledger_.FindMemberByContact(fuel_, "zoe.muller@example.com", "");
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().reason, "MEMBER_NOT_FOUND");
  auto unknown = ledger_.FindMemberByContact(market_, "nobody@example.com", "");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().reason, "MEMBER_NOT_FOUND");
  // Two members sharing a phone: the lookup refuses to guess.
  EnrollWithProfile("PII-CARD-5", {"Zed", "", "", "1-555-010-0200"});
  auto shared = ledger_.FindMemberByContact(market_, "", "+1 555 010 0200");
  ASSERT_FALSE(shared.ok());
  EXPECT_EQ(shared.error().reason, "MEMBER_AMBIGUOUS");
  auto both = ledger_.FindMemberByContact(market_, "a@b.c", "123");
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(PiiTest, ACiphertextMovedToAnotherRowDoesNotOpen) {
  const auto first = EnrollWithProfile("PII-CARD-6", kZoe);
  const auto second = EnrollWithProfile("PII-CARD-7", {"Ann", "Lee", "ann@example.com", ""});
  db_.QueryValue("UPDATE member_profiles SET email_sealed = (SELECT email_sealed FROM "
                 "member_profiles WHERE member_id = " + std::to_string(first) +
                 ") WHERE member_id = " + std::to_string(second) + " RETURNING 1");
  auto swapped = ledger_.GetMemberProfile(market_, second);
  ASSERT_FALSE(swapped.ok());
  EXPECT_EQ(swapped.error().reason, "PII_UNREADABLE");
  // The error names the member, never the data.
  EXPECT_EQ(swapped.error().message.find("zoe"), std::string::npos);
  EXPECT_TRUE(ledger_.GetMemberProfile(market_, first).ok());
}

TEST_F(PiiTest, LegacyPlaintextRowsAreSealed) {
  const auto member = Enroll(market_, "PII-LEGACY").id;
  db_.QueryValue("INSERT INTO member_profiles (member_id, supplied_by_partner_id, given_name, "
                 "family_name, email, phone) VALUES (" + std::to_string(member) + ", " +
                 std::to_string(market_.id) +
                 ", 'Old', 'Row', 'old@example.com', '555 0199') RETURNING 1");
  // Readable before sealing, so an upgrade never loses a profile.
  auto before = ledger_.GetMemberProfile(market_, member);
  ASSERT_TRUE(before.ok() && before->has_value());
  EXPECT_EQ((*before)->email, "old@example.com");

  auto step = ledger_.RotatePiiKeys(0, /*legacy_only=*/true);
  ASSERT_TRUE(step.ok()) << step.error().message;
  EXPECT_EQ(step->resealed, 1);
  EXPECT_EQ(step->remaining, 0);
  EXPECT_EQ(RawProfiles().find("old@example.com"), std::string::npos);
  auto after = ledger_.GetMemberProfile(market_, member);
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->given_name, "Old");
  EXPECT_EQ((*after)->phone, "555 0199");
  auto found = ledger_.FindMemberByContact(market_, "OLD@example.com", "");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, member);
}

// A server configured with `keys` over the fixture's database.
struct Instance {
  Instance(const std::string& url, const crypto::PiiKeyRing& keys, const domain::Clock& clock)
      : database(storage::DatabaseOptions{url, 4}), store(database, keys),
        ledger(store, "USD", clock) {}
  storage::Database database;
  storage::PgLedgerStore store;
  service::LedgerService ledger;
};

TEST_F(PiiTest, RotationUnderLiveReadsLosesNothing) {
  const std::string old_key = crypto::RandomBytes(32);
  const std::string new_key = crypto::RandomBytes(32);
  const std::string index_key = crypto::RandomBytes(32);
  const crypto::PiiKeyRing before({{"2025-01", old_key}}, "2025-01", index_key);
  const crypto::PiiKeyRing after({{"2025-01", old_key}, {"2026-01", new_key}}, "2026-01",
                                 index_key);
  const crypto::PiiKeyRing only_new({{"2026-01", new_key}}, "2026-01", index_key);
  Instance old_instance(db_.url(), before, clock_);
  Instance new_instance(db_.url(), after, clock_);

  constexpr int kMembers = 60;
  std::vector<domain::MemberId> members;
  for (int i = 0; i < kMembers; ++i) {
    const auto card = "ROT-" + std::to_string(i);
    auto enrolled = old_instance.ledger.Enroll(
        market_, {Key("enroll-" + card), card,
                  {"Name" + std::to_string(i), "", "m" + std::to_string(i) + "@example.com", ""}});
    ASSERT_TRUE(enrolled.ok()) << enrolled.error().message;
    members.push_back(enrolled->member.id);
  }

  // Readers on the new configuration while it rotates in small batches:
  // every read sees either the old or the new sealing, and both open.
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      for (int i = r; !done.load() || i < r + kMembers; ++i) {
        const int at = i % kMembers;
        auto profile = new_instance.ledger.GetMemberProfile(market_, members[at]);
        const bool right = profile.ok() && profile->has_value() &&
                           (*profile)->given_name == "Name" + std::to_string(at);
        if (!right) failures.fetch_add(1);
        reads.fetch_add(1);
        auto found = new_instance.ledger.FindMemberByContact(
            market_, "m" + std::to_string(at) + "@example.com", "");
        if (!found.ok() || *found != members[at]) failures.fetch_add(1);
      }
    });
  }
  int64_t resealed = 0;
  int batches = 0;
  for (;;) {
    auto step = new_instance.ledger.RotatePiiKeys(7);
    ASSERT_TRUE(step.ok()) << step.error().message;
    resealed += step->resealed;
    ++batches;
    if (step->remaining == 0) break;
    ASSERT_GT(step->resealed, 0);
  }
  done.store(true);
  for (auto& reader : readers) reader.join();

  EXPECT_EQ(resealed, kMembers);
  EXPECT_EQ(batches, (kMembers + 6) / 7);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(reads.load(), 3 * kMembers);
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM member_profiles WHERE key_id <> '2026-01'"), "0");
  // Rotation is idempotent once done.
  auto again = new_instance.ledger.RotatePiiKeys(0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->resealed, 0);
  EXPECT_EQ(again->remaining, 0);

  // The old key can now be dropped from the configuration...
  Instance retired(db_.url(), only_new, clock_);
  for (int i = 0; i < kMembers; ++i) {
    auto profile = retired.ledger.GetMemberProfile(market_, members[i]);
    ASSERT_TRUE(profile.ok() && profile->has_value());
    EXPECT_EQ((*profile)->email, "m" + std::to_string(i) + "@example.com");
  }
  // ...and a server that only has the old key can no longer read anything.
  auto stale = old_instance.ledger.GetMemberProfile(market_, members[0]);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().reason, "PII_KEY_MISSING");
  // Rotating with a row under a key nobody has fails loudly, changing nothing.
  db_.QueryValue("UPDATE member_profiles SET key_id = 'lost' WHERE member_id = " +
                 std::to_string(members[0]) + " RETURNING 1");
  auto stuck = retired.ledger.RotatePiiKeys(0);
  ASSERT_FALSE(stuck.ok());
  EXPECT_EQ(stuck.error().reason, "PII_KEY_MISSING");
}

TEST_F(PiiTest, TheAuditLogIsAppendOnly) {
  storage::PgAuditLog audit(database_);
  domain::AuditRecord record;
  record.actor = "operator";
  record.role = "OPERATOR";
  record.method = "/coalition.v1.AdminService/CreatePartner";
  record.request_json = R"({"code":"x\u0000y"})";
  ASSERT_TRUE(audit.Append(record).ok());
  auto listed = audit.List(0, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().actor, "operator");
  EXPECT_NE(listed->front().request_json.find("x\ufffdy"), std::string::npos);
  for (const char* statement :
       {"UPDATE audit_log SET actor = 'someone-else'", "DELETE FROM audit_log",
        "TRUNCATE audit_log"}) {
    EXPECT_THROW(db_.QueryValue(std::string(statement) + (statement[0] == 'T' ? "" : " RETURNING 1")),
                 std::exception)
        << statement;
  }
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM audit_log WHERE actor = 'operator'"), "1");
}

// The write-ahead shape of audited changes (V0013) is enforced by the
// database too: an INTENT has no code yet, an OUTCOME names one INTENT.
TEST_F(PiiTest, AuditIntentsAndOutcomesKeepTheirShape) {
  storage::PgAuditLog audit(database_);
  domain::AuditRecord record;
  record.actor = "operator";
  record.role = "OPERATOR";
  record.method = "/coalition.v1.AdminService/RevokeApiKey";
  record.phase = "INTENT";
  auto intent = audit.Append(record);
  ASSERT_TRUE(intent.ok()) << intent.error().message;
  record.phase = "OUTCOME";
  record.code = 5;
  record.reason = "API_KEY_NOT_FOUND";
  EXPECT_FALSE(audit.Append(record).ok());  // names no intent
  record.intent_id = *intent;
  auto outcome = audit.Append(record);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_FALSE(audit.Append(record).ok());  // one outcome per intent
  auto listed = audit.List(0, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(listed->at(0).phase, "OUTCOME");
  EXPECT_EQ(listed->at(0).intent_id, *intent);
  EXPECT_EQ(listed->at(0).code, 5);
  EXPECT_EQ(listed->at(1).phase, "INTENT");
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM audit_log WHERE phase = 'INTENT' AND code IS NULL"),
            "1");
}

}  // namespace
}  // namespace coalition::testing
