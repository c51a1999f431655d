#pragma once

#include <google/protobuf/timestamp.pb.h>

#include "coalition/v1/types.pb.h"
#include "domain/error.h"
#include "domain/model.h"
#include "domain/pricing.h"
#include "domain/refund.h"

namespace coalition::rpc {

void ToProto(domain::Timestamp time, google::protobuf::Timestamp* out);
// Rejects timestamps outside years 1970..9999 as INVALID_ARGUMENT on `field`.
domain::Result<domain::Timestamp> FromProto(const google::protobuf::Timestamp& time,
                                            const std::string& field);
void ToProto(const domain::MemberView& member, v1::Member* out);
domain::Money FromProto(const v1::Money& money);
void ToProto(const domain::Money& money, v1::Money* out);

// A wire member reference (card number or member id) to the domain form;
// a member_id that is not a positive decimal number is INVALID_ARGUMENT.
domain::Result<domain::MemberRef> MemberRefFromProto(bool has_card, const std::string& card,
                                                     bool has_member_id,
                                                     const std::string& member_id);

// Unknown refund policy values (including UNSPECIFIED) are INVALID_ARGUMENT.
domain::Result<domain::RedemptionPolicy> FromProto(const v1::RedemptionPolicy& policy);
void ToProto(const domain::RedemptionPolicy& policy, v1::RedemptionPolicy* out);
v1::RefundPolicy ToProto(domain::RefundPolicy policy);
void ToProto(const domain::PurchaseView& purchase, v1::Purchase* out);

}  // namespace coalition::rpc
