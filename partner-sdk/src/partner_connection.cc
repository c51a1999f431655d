#include "coalition/sdk/partner_connection.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "coalition/sdk/channel.h"
#include "coalition/sdk/internal/partner_stub.h"
#include "coalition/sdk/request_id.h"

namespace coalition::sdk {

namespace {

using Clock = std::chrono::steady_clock;

class DefaultPartnerStub : public internal::PartnerStub {
 public:
  explicit DefaultPartnerStub(std::shared_ptr<grpc::Channel> channel)
      : stub_(v1::PartnerService::NewStub(std::move(channel))) {}

  grpc::Status EnrollMember(grpc::ClientContext& context, const v1::EnrollMemberRequest& request,
                            v1::EnrollMemberResponse& response) override {
    return stub_->EnrollMember(&context, request, &response);
  }
  grpc::Status GetMember(grpc::ClientContext& context, const v1::GetMemberRequest& request,
                         v1::GetMemberResponse& response) override {
    return stub_->GetMember(&context, request, &response);
  }
  grpc::Status Accrue(grpc::ClientContext& context, const v1::AccrueRequest& request,
                      v1::AccrueResponse& response) override {
    return stub_->Accrue(&context, request, &response);
  }
  grpc::Status Redeem(grpc::ClientContext& context, const v1::RedeemRequest& request,
                      v1::RedeemResponse& response) override {
    return stub_->Redeem(&context, request, &response);
  }
  grpc::Status ListTransactions(grpc::ClientContext& context,
                                const v1::ListTransactionsRequest& request,
                                v1::ListTransactionsResponse& response) override {
    return stub_->ListTransactions(&context, request, &response);
  }
  grpc::Status HoldPoints(grpc::ClientContext& context, const v1::HoldPointsRequest& request,
                          v1::HoldPointsResponse& response) override {
    return stub_->HoldPoints(&context, request, &response);
  }
  grpc::Status CapturePoints(grpc::ClientContext& context,
                             const v1::CapturePointsRequest& request,
                             v1::CapturePointsResponse& response) override {
    return stub_->CapturePoints(&context, request, &response);
  }
  grpc::Status VoidHold(grpc::ClientContext& context, const v1::VoidHoldRequest& request,
                        v1::VoidHoldResponse& response) override {
    return stub_->VoidHold(&context, request, &response);
  }
  grpc::Status QuotePrice(grpc::ClientContext& context, const v1::QuotePriceRequest& request,
                          v1::QuotePriceResponse& response) override {
    return stub_->QuotePrice(&context, request, &response);
  }
  grpc::Status GetPurchase(grpc::ClientContext& context, const v1::GetPurchaseRequest& request,
                           v1::GetPurchaseResponse& response) override {
    return stub_->GetPurchase(&context, request, &response);
  }
  grpc::Status RefundPurchase(grpc::ClientContext& context,
                              const v1::RefundPurchaseRequest& request,
                              v1::RefundPurchaseResponse& response) override {
    return stub_->RefundPurchase(&context, request, &response);
  }

 private:
  std::unique_ptr<v1::PartnerService::Stub> stub_;
};

bool IsRetryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

void Validate(const Options& options) {
  const RetryPolicy& retry = options.retry;
  if (retry.max_attempts < 1) throw std::invalid_argument("retry.max_attempts must be >= 1");
  if (retry.initial_backoff.count() < 0 || retry.max_backoff.count() < 0) {
    throw std::invalid_argument("retry backoffs must not be negative");
  }
  if (!(retry.multiplier >= 1.0)) throw std::invalid_argument("retry.multiplier must be >= 1");
  if (retry.total_timeout.count() <= 0) {
    throw std::invalid_argument("retry.total_timeout must be positive");
  }
  if (options.deadline.count() <= 0) throw std::invalid_argument("deadline must be positive");
}

// Applies the retry policy over one stub. Thread-safe: the options are
// immutable after construction, the stub is thread-safe, and the jitter
// generator is behind a mutex.
class PartnerConnectionImpl : public PartnerConnection {
 public:
  PartnerConnectionImpl(Options options, std::shared_ptr<internal::PartnerStub> stub)
      : options_(std::move(options)), stub_(std::move(stub)), rng_(std::random_device{}()) {
    Validate(options_);
  }

  StatusOr<v1::EnrollMemberResponse> EnrollMember(const v1::EnrollMemberRequest& request) override {
    return MoneyMove<v1::EnrollMemberResponse>("EnrollMember", request,
                                               &internal::PartnerStub::EnrollMember);
  }
  StatusOr<v1::GetMemberResponse> GetMember(const v1::GetMemberRequest& request) override {
    return Call<v1::GetMemberResponse>("GetMember", request, "", &internal::PartnerStub::GetMember);
  }
  StatusOr<v1::AccrueResponse> Accrue(const v1::AccrueRequest& request) override {
    return MoneyMove<v1::AccrueResponse>("Accrue", request, &internal::PartnerStub::Accrue);
  }
  StatusOr<v1::RedeemResponse> Redeem(const v1::RedeemRequest& request) override {
    return MoneyMove<v1::RedeemResponse>("Redeem", request, &internal::PartnerStub::Redeem);
  }
  StatusOr<v1::ListTransactionsResponse> ListTransactions(
      const v1::ListTransactionsRequest& request) override {
    return Call<v1::ListTransactionsResponse>("ListTransactions", request, "",
                                              &internal::PartnerStub::ListTransactions);
  }
  StatusOr<v1::HoldPointsResponse> HoldPoints(const v1::HoldPointsRequest& request) override {
    return MoneyMove<v1::HoldPointsResponse>("HoldPoints", request,
                                             &internal::PartnerStub::HoldPoints);
  }
  StatusOr<v1::CapturePointsResponse> CapturePoints(
      const v1::CapturePointsRequest& request) override {
    return MoneyMove<v1::CapturePointsResponse>("CapturePoints", request,
                                                &internal::PartnerStub::CapturePoints);
  }
  StatusOr<v1::VoidHoldResponse> VoidHold(const v1::VoidHoldRequest& request) override {
    return MoneyMove<v1::VoidHoldResponse>("VoidHold", request, &internal::PartnerStub::VoidHold);
  }
  StatusOr<v1::QuotePriceResponse> QuotePrice(const v1::QuotePriceRequest& request) override {
    return Call<v1::QuotePriceResponse>("QuotePrice", request, "",
                                        &internal::PartnerStub::QuotePrice);
  }
  StatusOr<v1::GetPurchaseResponse> GetPurchase(const v1::GetPurchaseRequest& request) override {
    return Call<v1::GetPurchaseResponse>("GetPurchase", request, "",
                                         &internal::PartnerStub::GetPurchase);
  }
  StatusOr<v1::RefundPurchaseResponse> RefundPurchase(
      const v1::RefundPurchaseRequest& request) override {
    return MoneyMove<v1::RefundPurchaseResponse>("RefundPurchase", request,
                                                 &internal::PartnerStub::RefundPurchase);
  }

 private:
  template <typename Response, typename Request, typename Method>
  StatusOr<Response> MoneyMove(const char* method, const Request& request, Method stub_method) {
    // The id is fixed before the first attempt and sent on every retry: that
    // is what makes retrying a money move safe.
    if (!request.request_id().empty()) {
      return Call<Response>(method, request, request.request_id(), stub_method);
    }
    Request with_id = request;
    with_id.set_request_id(NewRequestId());
    return Call<Response>(method, with_id, with_id.request_id(), stub_method);
  }

  template <typename Response, typename Request, typename Method>
  StatusOr<Response> Call(const char* method, const Request& request, const std::string& request_id,
                          Method stub_method) {
    const RetryPolicy& policy = options_.retry;
    const Clock::time_point give_up = Clock::now() + policy.total_timeout;
    const auto system_give_up = std::chrono::system_clock::now() + policy.total_timeout;
    double backoff_ms = static_cast<double>(policy.initial_backoff.count());

    for (int attempt = 1;; ++attempt) {
      grpc::ClientContext context;
      if (!options_.api_key.empty()) {
        context.AddMetadata("authorization", "Bearer " + options_.api_key);
      }
      context.set_deadline(
          std::min(std::chrono::system_clock::now() + options_.deadline, system_give_up));
      Response response;
      grpc::Status status = ((*stub_).*stub_method)(context, request, response);

      bool retry =
          !status.ok() && IsRetryable(status.error_code()) && attempt < policy.max_attempts;
      Clock::duration delay{};
      if (retry) {
        const double cap = std::min(backoff_ms, static_cast<double>(policy.max_backoff.count()));
        delay = std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double, std::milli>(Jitter(cap)));
        backoff_ms = std::min(backoff_ms * policy.multiplier,
                              static_cast<double>(policy.max_backoff.count()));
        // No attempt starts once the budget is spent.
        if (Clock::now() + delay >= give_up) retry = false;
      }
      if (options_.on_attempt) {
        AttemptInfo info;
        info.method = method;
        info.attempt = attempt;
        info.request_id = request_id;
        info.status = &status;
        info.will_retry = retry;
        options_.on_attempt(info);
      }
      if (status.ok()) return StatusOr<Response>(std::move(response));
      if (!retry) return StatusOr<Response>(status);
      std::this_thread::sleep_for(delay);
    }
  }

  // Full jitter: uniform in [0, cap_ms].
  double Jitter(double cap_ms) {
    if (cap_ms <= 0) return 0;
    std::lock_guard<std::mutex> lock(rng_mutex_);
    return std::uniform_real_distribution<double>(0.0, cap_ms)(rng_);
  }

  const Options options_;
  const std::shared_ptr<internal::PartnerStub> stub_;
  std::mutex rng_mutex_;
  std::mt19937_64 rng_;
};

}  // namespace

namespace internal {

std::shared_ptr<PartnerStub> MakeDefaultPartnerStub(std::shared_ptr<grpc::Channel> channel) {
  return std::make_shared<DefaultPartnerStub>(std::move(channel));
}

std::shared_ptr<PartnerConnection> MakePartnerConnection(Options options,
                                                         std::shared_ptr<PartnerStub> stub) {
  return std::make_shared<PartnerConnectionImpl>(std::move(options), std::move(stub));
}

}  // namespace internal

std::shared_ptr<PartnerConnection> MakePartnerConnection(Options options) {
  Validate(options);
  ChannelOptions channel;
  channel.endpoint = options.endpoint;
  channel.tls = options.tls;
  channel.root_ca_file = options.root_ca_file;
  channel.client_cert_file = options.client_cert_file;
  channel.client_key_file = options.client_key_file;
  channel.api_key = options.api_key;
  channel.deadline = options.deadline;
  channel.user_agent_prefix = options.user_agent_prefix;
  auto stub = internal::MakeDefaultPartnerStub(MakeChannel(channel));
  return internal::MakePartnerConnection(std::move(options), std::move(stub));
}

}  // namespace coalition::sdk
