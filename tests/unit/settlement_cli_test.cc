// coalitionctl's settlement output: exact decimals and the CSV a finance
// team loads into a spreadsheet (stable columns, amounts as decimals).

#include <gtest/gtest.h>

#include "coalition/cli/settlement_commands.h"

namespace coalition::cli {
namespace {

TEST(SettlementCliTest, ExactMicrosKeepTheCurrencyDecimalsAndNoMore) {
  EXPECT_EQ(FormatExactMicros(12'345'600, "USD"), "12.3456");
  EXPECT_EQ(FormatExactMicros(12'340'000, "USD"), "12.34");
  EXPECT_EQ(FormatExactMicros(12'000'000, "USD"), "12.00");
  EXPECT_EQ(FormatExactMicros(-5'000, "USD"), "-0.005");
  EXPECT_EQ(FormatExactMicros(0, "USD"), "0.00");
  EXPECT_EQ(FormatExactMicros(1'000'000, "JPY"), "1");
  EXPECT_EQ(FormatExactMicros(1'500'000, "JPY"), "1.5");
  EXPECT_EQ(FormatExactMicros(1'000, "KWD"), "0.001");
  v1::Money money;
  money.set_currency_code("USD");
  money.set_amount_minor(-1'234);
  EXPECT_EQ(FormatAmount(money), "-12.34");
  money.set_currency_code("JPY");
  EXPECT_EQ(FormatAmount(money), "-1234");
}

v1::SettlementBatch SampleBatch() {
  v1::SettlementBatch batch;
  auto* summary = batch.mutable_summary();
  summary->set_batch_id("7");
  summary->set_currency_code("USD");
  summary->mutable_cutoff()->set_seconds(1'790'000'000);
  auto* line = batch.add_lines();
  line->set_partner_id("1");
  line->set_partner_code("market");
  line->set_points_issued(1'234);
  line->set_issuance_fees_micros(12'340'000);
  line->set_net_micros(-12'340'000);
  line->mutable_net_amount()->set_currency_code("USD");
  line->mutable_net_amount()->set_amount_minor(-1'234);
  auto* op = batch.mutable_operator_line();
  op->set_margin_micros(12'340'000);
  op->mutable_net_amount()->set_currency_code("USD");
  op->mutable_net_amount()->set_amount_minor(1'234);
  auto* flow = batch.add_flows();
  flow->set_issuer_code("operator");
  flow->set_redeemer_partner_id("1");
  flow->set_redeemer_code("market");
  flow->set_points(5);
  flow->set_value_micros(37'500);
  auto* instruction = batch.add_instructions();
  instruction->set_payer_partner_id("1");
  instruction->set_payer_code("market");
  instruction->set_payee_code("operator");
  instruction->mutable_amount()->set_currency_code("USD");
  instruction->mutable_amount()->set_amount_minor(1'234);
  return batch;
}

TEST(SettlementCliTest, LinesCsvHasStableColumnsAndAnOperatorRowThatBalances) {
  const std::string csv = BatchCsv(SampleBatch(), ExportTable::kLines);
  EXPECT_EQ(csv,
            "batch_id,cutoff,party,partner_id,partner_code,points_issued,points_clawed_back,"
            "points_redeemed,points_refunded,points_expired,points_bonus,issuance_fees,"
            "reimbursements,net_exact,net_amount,rounding,currency_code\r\n"
            "7,2026-09-21T14:13:20Z,partner,1,market,1234,0,0,0,0,0,12.34,0.00,-12.34,-12.34,"
            "0.00,USD\r\n"
            "7,2026-09-21T14:13:20Z,operator,,operator,0,0,0,0,0,0,,,12.34,12.34,0.00,USD\r\n");
}

TEST(SettlementCliTest, FlowAndInstructionCsv) {
  EXPECT_EQ(BatchCsv(SampleBatch(), ExportTable::kFlows),
            "batch_id,cutoff,issuer_partner_id,issuer_code,redeemer_partner_id,redeemer_code,"
            "points,value,currency_code\r\n"
            "7,2026-09-21T14:13:20Z,,operator,1,market,5,0.0375,USD\r\n");
  EXPECT_EQ(BatchCsv(SampleBatch(), ExportTable::kInstructions),
            "batch_id,cutoff,payer_partner_id,payer_code,payee_partner_id,payee_code,amount,"
            "currency_code\r\n"
            "7,2026-09-21T14:13:20Z,1,market,,operator,12.34,USD\r\n");
}

TEST(SettlementCliTest, CsvQuotesFieldsThatNeedIt) {
  auto batch = SampleBatch();
  batch.mutable_lines(0)->set_partner_code("a,\"b\"");
  const std::string csv = BatchCsv(batch, ExportTable::kLines);
  EXPECT_NE(csv.find(",\"a,\"\"b\"\"\","), std::string::npos) << csv;
}

}  // namespace
}  // namespace coalition::cli
