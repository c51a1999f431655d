#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/error.h"
#include "domain/model.h"
#include "domain/refund.h"

namespace coalition::domain {

// Input checks shared by every entry point. Each returns the first problem as
// an INVALID_ARGUMENT error naming the field, or nothing when the input is fine.
std::optional<Error> ValidateRequestId(std::string_view request_id);
std::optional<Error> ValidateCardNumber(std::string_view card_number, const std::string& field);
std::optional<Error> ValidatePoints(int64_t points, const std::string& field);
std::optional<Error> ValidateAmount(const Money& amount, std::string_view programme_currency,
                                    const std::string& field);
// Optional free text: at most `max_length` bytes of valid UTF-8, no control characters.
std::optional<Error> ValidateText(std::string_view text, size_t max_length,
                                  const std::string& field);
std::optional<Error> ValidateRequiredText(std::string_view text, size_t max_length,
                                          const std::string& field);
std::optional<Error> ValidatePartnerCode(std::string_view code);
std::optional<Error> ValidateMemberRef(const MemberRef& ref);
std::optional<Error> ValidateProfile(const MemberProfile& profile);
std::optional<Error> ValidateNewPartner(const NewPartner& partner);
std::optional<Error> ValidateAccrue(const AccrueCommand& command,
                                    std::string_view programme_currency);
std::optional<Error> ValidateRedeem(const RedeemCommand& command);
// `max_ttl_seconds`: the server's configured bound (at most kMaxHoldTtlSeconds).
std::optional<Error> ValidateHold(const HoldCommand& command, int32_t max_ttl_seconds);
std::optional<Error> ValidateCapture(const CaptureCommand& command);
std::optional<Error> ValidateVoid(const VoidCommand& command);
std::optional<Error> ValidateRefund(const RefundCommand& command,
                                    std::string_view programme_currency);

// Parses an id as sent on the wire (member, partner, key): positive decimal.
std::optional<MemberId> ParseId(std::string_view text);

// A client certificate identity as stored: a SHA-256 fingerprint as 64
// lowercase hex digits (accepted with colons and in either case, as
// `openssl x509 -fingerprint -sha256` prints it), or a subject alternative
// name of 1..256 bytes of printable UTF-8, kept exactly.
Result<std::string> NormaliseCertificateIdentity(CertificateMatch match, std::string_view text);

bool IsValidUtf8(std::string_view text);
// A real date written YYYY-MM-DD (year 1850 on).
bool IsCalendarDate(std::string_view text);

}  // namespace coalition::domain
