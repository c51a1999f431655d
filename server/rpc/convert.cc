#include "rpc/convert.h"

#include "domain/validation.h"

namespace coalition::rpc {

void ToProto(domain::Timestamp time, google::protobuf::Timestamp* out) {
  const int64_t micros = time.time_since_epoch().count();
  int64_t seconds = micros / 1'000'000;
  int64_t remainder = micros % 1'000'000;
  if (remainder < 0) {
    remainder += 1'000'000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(remainder * 1000));
}

domain::Result<domain::Timestamp> FromProto(const google::protobuf::Timestamp& time,
                                            const std::string& field) {
  constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z
  if (time.seconds() < 0 || time.seconds() > kMaxSeconds || time.nanos() < 0 ||
      time.nanos() > 999'999'999) {
    return domain::Error::InvalidArgument(field, "must be a time between 1970 and 9999");
  }
  return domain::Timestamp(std::chrono::microseconds(time.seconds() * 1'000'000 +
                                                     time.nanos() / 1000));
}

void ToProto(const domain::MemberView& member, v1::Member* out) {
  out->set_member_id(std::to_string(member.id));
  for (const auto& card : member.card_numbers) out->add_card_numbers(card);
  out->set_balance(member.balance);
  out->set_held(member.held);
  out->set_available(member.available());
  ToProto(member.enrolled_at, out->mutable_enrolled_at());
  out->set_clawback_debt(member.debt);
  out->set_tier_name(member.tier_name);
  out->set_qualifying_points(member.qualifying_points);
  out->set_next_tier_name(member.next_tier_name);
  out->set_points_to_next_tier(member.points_to_next_tier);
}

void ToProto(const domain::PurchaseView& purchase, v1::Purchase* out) {
  const auto& totals = purchase.totals;
  const auto money = [&](int64_t minor, v1::Money* field) {
    ToProto(domain::Money{purchase.currency_code, minor}, field);
  };
  out->set_receipt_id(purchase.receipt_id);
  out->set_member_id(std::to_string(purchase.member_id));
  money(totals.price_minor, out->mutable_price());
  money(totals.cash_paid_minor, out->mutable_cash_paid());
  out->set_points_paid(totals.points_paid);
  out->set_points_earned(totals.points_earned);
  out->set_point_value_micros(purchase.point_value_micros.value_or(0));
  if (purchase.refund_policy) out->set_refund_policy(ToProto(*purchase.refund_policy));
  money(totals.amount_refunded_minor, out->mutable_amount_refunded());
  money(totals.cash_returned_minor, out->mutable_cash_returned());
  out->set_points_returned(totals.points_returned);
  out->set_points_clawed_back(totals.points_clawed_back);
}

domain::Money FromProto(const v1::Money& money) {
  return domain::Money{money.currency_code(), money.amount_minor()};
}

void ToProto(const domain::Money& money, v1::Money* out) {
  out->set_currency_code(money.currency_code);
  out->set_amount_minor(money.amount_minor);
}

domain::Result<domain::MemberRef> MemberRefFromProto(bool has_card, const std::string& card,
                                                     bool has_member_id,
                                                     const std::string& member_id) {
  domain::MemberRef ref;
  if (has_member_id) {
    auto id = domain::ParseId(member_id);
    if (!id) return domain::Error::InvalidArgument("member_id", "is not a member id");
    ref.member_id = *id;
  } else if (has_card) {
    ref.card_number = card;
  }
  return ref;
}

domain::Result<domain::RedemptionPolicy> FromProto(const v1::RedemptionPolicy& policy) {
  domain::RedemptionPolicy out;
  out.point_value_micros = policy.point_value_micros();
  out.block_size_points = policy.block_size_points();
  out.min_points = policy.min_points();
  out.max_points_share_bps = policy.max_points_share_bps();
  out.min_cash_minor = policy.min_cash_minor();
  out.split_points_share_bps.assign(policy.split_points_share_bps().begin(),
                                    policy.split_points_share_bps().end());
  switch (policy.refund_policy()) {
    case v1::REFUND_POLICY_PROPORTIONAL: out.refund_policy = domain::RefundPolicy::kProportional; break;
    case v1::REFUND_POLICY_CASH_FIRST: out.refund_policy = domain::RefundPolicy::kCashFirst; break;
    case v1::REFUND_POLICY_POINTS_FIRST: out.refund_policy = domain::RefundPolicy::kPointsFirst; break;
    case v1::REFUND_POLICY_POINTS_FORFEITED:
      out.refund_policy = domain::RefundPolicy::kPointsForfeited;
      break;
    default:
      return domain::Error::InvalidArgument("policy.refund_policy", "must be a known refund policy");
  }
  return out;
}

void ToProto(const domain::RedemptionPolicy& policy, v1::RedemptionPolicy* out) {
  out->set_point_value_micros(policy.point_value_micros);
  out->set_block_size_points(policy.block_size_points);
  out->set_min_points(policy.min_points);
  out->set_max_points_share_bps(policy.max_points_share_bps);
  out->set_min_cash_minor(policy.min_cash_minor);
  for (auto split : policy.split_points_share_bps) out->add_split_points_share_bps(split);
  out->set_refund_policy(ToProto(policy.refund_policy));
}

v1::RefundPolicy ToProto(domain::RefundPolicy policy) {
  switch (policy) {
    case domain::RefundPolicy::kProportional: return v1::REFUND_POLICY_PROPORTIONAL;
    case domain::RefundPolicy::kCashFirst: return v1::REFUND_POLICY_CASH_FIRST;
    case domain::RefundPolicy::kPointsFirst: return v1::REFUND_POLICY_POINTS_FIRST;
    case domain::RefundPolicy::kPointsForfeited: return v1::REFUND_POLICY_POINTS_FORFEITED;
  }
  return v1::REFUND_POLICY_UNSPECIFIED;
}

}  // namespace coalition::rpc
