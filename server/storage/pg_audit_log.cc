#include "storage/pg_stores.h"
#include "storage/transaction_helpers.h"

namespace coalition::storage {

using domain::Result;

namespace {

// jsonb refuses the NUL character that a hostile string field may carry;
// the audit row matters more than that character.
std::string JsonbSafe(std::string json) {
  for (size_t at = json.find("\\u0000"); at != std::string::npos; at = json.find("\\u0000", at)) {
    json.replace(at, 6, "\\ufffd");
  }
  return json;
}

}  // namespace

Result<int64_t> PgAuditLog::Append(const domain::AuditRecord& record) {
  return database_.Transact<int64_t>("append_audit", [&](pqxx::work& tx) -> Result<int64_t> {
    const std::optional<int> code =
        record.phase == "INTENT" ? std::nullopt : std::optional<int>(record.code);
    return tx
        .exec_prepared1("append_audit", record.actor, record.role, record.method,
                        record.request_id.substr(0, 64), code, record.reason.substr(0, 64),
                        JsonbSafe(record.request_json), JsonbSafe(record.before_json),
                        JsonbSafe(record.after_json), record.phase, record.intent_id)[0]
        .as<int64_t>();
  });
}

Result<std::vector<domain::AuditRecord>> PgAuditLog::List(int64_t before, int limit) {
  using Records = std::vector<domain::AuditRecord>;
  return database_.Read<Records>("list_audit", [&](pqxx::nontransaction& tx) -> Result<Records> {
    Records records;
    for (const auto& row : tx.exec_prepared("list_audit", before, limit)) {
      domain::AuditRecord record;
      record.id = row[0].as<int64_t>();
      record.occurred_at = FromMicros(row[1].as<int64_t>());
      record.actor = row[2].as<std::string>();
      record.role = row[3].as<std::string>();
      record.method = row[4].as<std::string>();
      record.request_id = row[5].as<std::string>();
      record.code = row[6].is_null() ? 0 : row[6].as<int>();
      record.reason = row[7].as<std::string>();
      record.request_json = row[8].as<std::string>();
      record.before_json = row[9].as<std::string>();
      record.after_json = row[10].as<std::string>();
      record.phase = row[11].as<std::string>();
      record.intent_id = row[12].as<int64_t>();
      records.push_back(std::move(record));
    }
    return records;
  });
}

}  // namespace coalition::storage
