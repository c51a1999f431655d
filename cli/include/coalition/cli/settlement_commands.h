#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "coalition/cli/commands.h"
#include "coalition/cli/settings.h"
#include "coalition/sdk/channel.h"
#include "coalition/v1/admin_service.grpc.pb.h"
#include "coalition/v1/settlement_service.grpc.pb.h"

namespace coalition::cli {

/// Decimal places of an ISO 4217 currency's minor unit (2 unless listed).
int CurrencyDigits(std::string_view currency_code);

/// Micro-units as an exact decimal of the major unit, with at least the
/// currency's decimals: (12'345'600, "USD") -> "12.3456", (-5'000, "USD") ->
/// "-0.005", (1'000'000, "JPY") -> "1".
std::string FormatExactMicros(std::int64_t micros, std::string_view currency_code);

/// A Money as a decimal string in major units: {USD, -1234} -> "-12.34".
std::string FormatAmount(const coalition::v1::Money& money);

/// What `settlement export` writes.
enum class ExportTable { kLines, kFlows, kInstructions };

/// CSV (RFC 4180, header row, stable column names) of one table of a batch.
/// Amounts are decimal strings in major units with the currency_code column;
/// `lines` ends with an `operator` row so the net_amount column sums to 0.
std::string BatchCsv(const coalition::v1::SettlementBatch& batch, ExportTable table);

struct SettlementRunArgs {
  std::string request_id;   // empty: derived from the cutoff, or the time now
  std::string cutoff;       // RFC 3339; empty: now (server's database clock)
  std::string mode = "hub";  // hub | multilateral
};

struct EconomicsSetArgs {
  PartnerRef partner;
  std::int64_t issuance_price_micros = 0;
  std::int64_t redemption_rate_micros = 0;
  std::string effective_from;  // RFC 3339; empty: now
};

/// coalitionctl's settlement and economics commands. Each returns the exit
/// code; errors print one `error: ...` line on `err`.
class SettlementCommands {
 public:
  SettlementCommands(coalition::v1::SettlementService::StubInterface& settlement,
                     coalition::v1::AdminService::StubInterface& admin,
                     sdk::ChannelOptions channel, OutputFormat output, std::ostream& out,
                     std::ostream& err);

  int Run(const SettlementRunArgs& args);
  int List(int page_size, const std::string& page_token, bool all);
  int Show(const std::string& batch_id);
  int Statement(const std::string& batch_id, const PartnerRef& partner);
  /// `format`: "csv" or "json".
  int Export(const std::string& batch_id, ExportTable table, const std::string& format);
  int EconomicsSet(const EconomicsSetArgs& args);
  int EconomicsList(const PartnerRef& partner);

 private:
  int Fail(const grpc::Status& status);
  int Usage(const std::string& message);
  void PrintBatch(const coalition::v1::SettlementBatch& batch);
  grpc::Status FetchBatch(const std::string& batch_id, coalition::v1::SettlementBatch* batch);

  coalition::v1::SettlementService::StubInterface& settlement_;
  coalition::v1::AdminService::StubInterface& admin_;
  sdk::ChannelOptions channel_;
  OutputFormat output_;
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace coalition::cli
