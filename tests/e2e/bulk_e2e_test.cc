// BatchAccrue over a real gRPC stream: a file split over several messages and
// chunks, sent twice, and its per-line errors.
#include "e2e/e2e_fixture.h"

namespace coalition::testing {
namespace {

class BulkE2eTest : public E2eFixture {};

v1::AccrueRequest Line(const std::string& request_id, const std::string& card,
                       int64_t amount_minor) {
  v1::AccrueRequest line;
  line.set_request_id(request_id);
  line.set_card_number(card);
  line.mutable_amount()->set_currency_code("USD");
  line.mutable_amount()->set_amount_minor(amount_minor);
  return line;
}

TEST_F(BulkE2eTest, AFileStreamedTwiceIsAppliedOnceWithPerLineErrors) {
  const auto market = CreatePartner("market", 1, 100);
  ASSERT_TRUE(Enroll(market.api_key, "BULK-A").ok());
  ASSERT_TRUE(Enroll(market.api_key, "BULK-B").ok());
  // More lines than one chunk (5,000), over many messages.
  constexpr int kLines = 12'000;
  std::vector<v1::BatchAccrueRequest> messages;
  for (int i = 0; i < kLines; ++i) {
    if (i % 700 == 0) messages.emplace_back();
    const std::string card = i == 6'001 ? "NO-SUCH-CARD" : (i % 2 == 0 ? "BULK-A" : "BULK-B");
    *messages.back().add_lines() = Line("line-" + std::to_string(i), card, i == 9'000 ? -1 : 200);
  }
  auto send = [&](v1::BatchAccrueResponse* response) {
    auto context = Context(market.api_key);
    auto writer = PartnerStub()->BatchAccrue(context.get(), response);
    for (const auto& message : messages) EXPECT_TRUE(writer->Write(message));
    writer->WritesDone();
    return writer->Finish();
  };

  v1::BatchAccrueResponse first;
  const auto status = send(&first);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  EXPECT_EQ(first.lines_received(), kLines);
  EXPECT_EQ(first.lines_applied(), kLines - 2);
  EXPECT_EQ(first.lines_replayed(), 0);
  EXPECT_EQ(first.lines_rejected(), 2);
  EXPECT_EQ(first.points_earned(), 2 * (kLines - 2));
  ASSERT_EQ(first.errors_size(), 2);
  EXPECT_EQ(first.errors(0).line(), 6'001);
  EXPECT_EQ(first.errors(0).request_id(), "line-6001");
  EXPECT_EQ(first.errors(0).code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(first.errors(0).reason(), "MEMBER_NOT_FOUND");
  EXPECT_EQ(first.errors(1).line(), 9'000);
  EXPECT_EQ(first.errors(1).code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(first.errors(1).field(), "amount.amount_minor");
  const int64_t balance_a = GetMember(market.api_key, "BULK-A").balance();
  const int64_t balance_b = GetMember(market.api_key, "BULK-B").balance();
  EXPECT_EQ(balance_a + balance_b, 2 * (kLines - 2));

  v1::BatchAccrueResponse second;
  ASSERT_TRUE(send(&second).ok());
  EXPECT_EQ(second.lines_applied(), 0);
  EXPECT_EQ(second.lines_replayed(), kLines - 2);
  EXPECT_EQ(second.lines_rejected(), 2);
  EXPECT_EQ(GetMember(market.api_key, "BULK-A").balance(), balance_a);
  EXPECT_EQ(GetMember(market.api_key, "BULK-B").balance(), balance_b);

  // The file's request_ids are Accrue's: a live retry of a line is a repeat.
  v1::AccrueResponse live;
  ASSERT_TRUE(Accrue(market.api_key, "line-0", "BULK-A", 200, &live).ok());
  EXPECT_EQ(GetMember(market.api_key, "BULK-A").balance(), balance_a);
  ExpectLedgerConsistent();
}

}  // namespace
}  // namespace coalition::testing
