#pragma once

#include <memory>

#include "coalition/sdk/options.h"
#include "coalition/sdk/status_or.h"
#include "coalition/v1/partner_service.pb.h"

namespace coalition::sdk {

namespace internal {
class PartnerStub;
}

/// The transport under PartnerClient, one virtual per PartnerService RPC.
///
/// The implementation returned by MakePartnerConnection applies the retry
/// policy, fills in missing request_ids, adds credentials and deadlines and
/// calls the server. Applications mock this class (see
/// coalition/sdk/mocks/mock_partner_connection.h) to test their own code
/// without a server. Implementations must be thread-safe.
///
/// Requests and responses are the generated coalition.v1 messages: proto3 is
/// the contract, and a second set of hand-written structs would have to be
/// kept in sync with it field by field, forever. New fields show up in the SDK
/// as soon as it is rebuilt against the new protos.
class PartnerConnection {
 public:
  virtual ~PartnerConnection() = default;

  virtual StatusOr<v1::EnrollMemberResponse> EnrollMember(
      const v1::EnrollMemberRequest& request) = 0;
  virtual StatusOr<v1::GetMemberResponse> GetMember(const v1::GetMemberRequest& request) = 0;
  virtual StatusOr<v1::AccrueResponse> Accrue(const v1::AccrueRequest& request) = 0;
  virtual StatusOr<v1::RedeemResponse> Redeem(const v1::RedeemRequest& request) = 0;
  virtual StatusOr<v1::ListTransactionsResponse> ListTransactions(
      const v1::ListTransactionsRequest& request) = 0;
  virtual StatusOr<v1::HoldPointsResponse> HoldPoints(const v1::HoldPointsRequest& request) = 0;
  virtual StatusOr<v1::CapturePointsResponse> CapturePoints(
      const v1::CapturePointsRequest& request) = 0;
  virtual StatusOr<v1::VoidHoldResponse> VoidHold(const v1::VoidHoldRequest& request) = 0;
  virtual StatusOr<v1::QuotePriceResponse> QuotePrice(const v1::QuotePriceRequest& request) = 0;
  virtual StatusOr<v1::GetPurchaseResponse> GetPurchase(const v1::GetPurchaseRequest& request) = 0;
  virtual StatusOr<v1::RefundPurchaseResponse> RefundPurchase(
      const v1::RefundPurchaseRequest& request) = 0;
};

/// A connection to `options.endpoint`. Connects lazily: an unreachable server
/// shows up as UNAVAILABLE from the first call (after the retries), not here.
/// Throws std::runtime_error if a certificate or key file cannot be read, or
/// std::invalid_argument if the options are inconsistent (only one of
/// client_cert_file/client_key_file, max_attempts < 1).
std::shared_ptr<PartnerConnection> MakePartnerConnection(Options options);

namespace internal {
/// The retrying connection over any stub; for the SDK's own tests.
std::shared_ptr<PartnerConnection> MakePartnerConnection(Options options,
                                                         std::shared_ptr<PartnerStub> stub);
}  // namespace internal

}  // namespace coalition::sdk
