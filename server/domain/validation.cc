#include "domain/validation.h"

#include <algorithm>
#include <charconv>

#include "domain/earn.h"
#include "domain/limits.h"

namespace coalition::domain {
namespace {

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool AllOf(std::string_view text, bool (*accept)(char)) {
  return std::all_of(text.begin(), text.end(), accept);
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t extra = 0;
    uint32_t code_point = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code_point = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code_point = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code_point = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto continuation = static_cast<unsigned char>(text[i + k]);
      if ((continuation & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (continuation & 0x3F);
    }
    // Reject overlong encodings, surrogates and values past U+10FFFF.
    static constexpr uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (code_point < kMinForLength[extra] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

std::optional<Error> ValidateRequestId(std::string_view request_id) {
  if (request_id.empty()) return Error::InvalidArgument("request_id", "is required");
  if (request_id.size() > kMaxRequestIdLength) {
    return Error::InvalidArgument("request_id", "must be at most 64 characters");
  }
  if (!AllOf(request_id, [](char c) {
        return IsAsciiAlnum(c) || c == '.' || c == '_' || c == ':' || c == '-';
      })) {
    return Error::InvalidArgument("request_id", "may contain only A-Z a-z 0-9 . _ : -");
  }
  return std::nullopt;
}

std::optional<Error> ValidateCardNumber(std::string_view card_number, const std::string& field) {
  if (card_number.empty()) return Error::InvalidArgument(field, "is required");
  if (card_number.size() < 4 || card_number.size() > 32) {
    return Error::InvalidArgument(field, "must be 4 to 32 characters");
  }
  if (!AllOf(card_number, [](char c) { return IsAsciiAlnum(c) || c == '-'; })) {
    return Error::InvalidArgument(field, "may contain only A-Z a-z 0-9 -");
  }
  return std::nullopt;
}

std::optional<Error> ValidatePoints(int64_t points, const std::string& field) {
  if (points <= 0) return Error::InvalidArgument(field, "must be positive");
  if (points > kMaxPointsPerRequest) {
    return Error::InvalidArgument(field, "must be at most 1000000000000");
  }
  return std::nullopt;
}

std::optional<Error> ValidateAmount(const Money& amount, std::string_view programme_currency,
                                    const std::string& field) {
  if (amount.currency_code != programme_currency) {
    return Error::InvalidArgument(field + ".currency_code",
                                  "must be the programme currency " +
                                      std::string(programme_currency),
                                  "CURRENCY_MISMATCH");
  }
  if (amount.amount_minor <= 0) {
    return Error::InvalidArgument(field + ".amount_minor", "must be positive");
  }
  if (amount.amount_minor > kMaxAmountMinor) {
    return Error::InvalidArgument(field + ".amount_minor", "must be at most 1000000000000");
  }
  return std::nullopt;
}

std::optional<Error> ValidateText(std::string_view text, size_t max_length,
                                  const std::string& field) {
  if (text.size() > max_length) {
    return Error::InvalidArgument(field,
                                  "must be at most " + std::to_string(max_length) + " bytes");
  }
  if (!IsValidUtf8(text)) return Error::InvalidArgument(field, "must be valid UTF-8");
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
    return Error::InvalidArgument(field, "must not contain control characters");
  }
  // C1 controls U+0080..U+009F are encoded as C2 80..C2 9F.
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) == 0xC2 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      return Error::InvalidArgument(field, "must not contain control characters");
    }
  }
  return std::nullopt;
}

std::optional<Error> ValidateRequiredText(std::string_view text, size_t max_length,
                                          const std::string& field) {
  if (text.empty()) return Error::InvalidArgument(field, "is required");
  return ValidateText(text, max_length, field);
}

std::optional<Error> ValidatePartnerCode(std::string_view code) {
  const bool ok = code.size() >= 2 && code.size() <= 32 &&
                  AllOf(code, [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                  }) &&
                  code.front() != '-';
  if (!ok) {
    return Error::InvalidArgument("code", "must be 2-32 characters of a-z 0-9 -, not starting -");
  }
  return std::nullopt;
}

std::optional<MemberId> ParseId(std::string_view text) {
  if (text.empty() || text.size() > 18 || !AllOf(text, [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  MemberId id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

std::optional<Error> ValidateMemberRef(const MemberRef& ref) {
  if (ref.member_id.has_value()) {
    if (!ref.card_number.empty()) {
      return Error::InvalidArgument("member", "give card_number or member_id, not both");
    }
    if (*ref.member_id <= 0) return Error::InvalidArgument("member_id", "is not a member id");
    return std::nullopt;
  }
  if (ref.card_number.empty()) {
    return Error::InvalidArgument("member", "card_number or member_id is required");
  }
  return ValidateCardNumber(ref.card_number, "card_number");
}

bool IsCalendarDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  const auto number = [&](size_t at, size_t digits) {
    int value = 0;
    for (size_t i = at; i < at + digits; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  const int year = number(0, 4), month = number(5, 2), day = number(8, 2);
  if (year < 1850 || month < 1 || month > 12 || day < 1) return false;
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

std::optional<Error> ValidateProfile(const MemberProfile& profile) {
  if (auto e = ValidateText(profile.given_name, kMaxNameLength, "profile.given_name")) return e;
  if (auto e = ValidateText(profile.family_name, kMaxNameLength, "profile.family_name")) return e;
  if (auto e = ValidateText(profile.email, 254, "profile.email")) return e;
  if (!profile.email.empty() && profile.email.find('@') == std::string::npos) {
    return Error::InvalidArgument("profile.email", "is not an email address");
  }
  if (auto e = ValidateText(profile.phone, 32, "profile.phone")) return e;
  if (!profile.date_of_birth.empty() && !IsCalendarDate(profile.date_of_birth)) {
    return Error::InvalidArgument("profile.date_of_birth", "must be a date YYYY-MM-DD");
  }
  return std::nullopt;
}

std::optional<Error> ValidateNewPartner(const NewPartner& partner) {
  if (auto e = ValidatePartnerCode(partner.code)) return e;
  if (auto e = ValidateRequiredText(partner.display_name, kMaxNameLength, "display_name")) {
    return e;
  }
  if (auto e = ValidateEarnRate(partner.earn_rate, "earn_rate")) return e;
  if (partner.issuance_price_micros < 0 || partner.issuance_price_micros > kMaxRateMicros) {
    return Error::InvalidArgument("issuance_price_micros", "must be between 0 and 1000000000");
  }
  if (partner.redemption_rate_micros < 0 || partner.redemption_rate_micros > kMaxRateMicros) {
    return Error::InvalidArgument("redemption_rate_micros", "must be between 0 and 1000000000");
  }
  return std::nullopt;
}

std::optional<Error> ValidateAccrue(const AccrueCommand& command,
                                    std::string_view programme_currency) {
  if (auto e = ValidateRequestId(command.key.request_id)) return e;
  if (auto e = ValidateCardNumber(command.card_number, "card_number")) return e;
  if (auto e = ValidateAmount(command.amount, programme_currency, "amount")) return e;
  if (command.line_items.size() > kMaxLineItems) {
    return Error::InvalidArgument("line_items", "at most 500 line items");
  }
  int64_t line_total = 0;
  for (size_t i = 0; i < command.line_items.size(); ++i) {
    const auto& item = command.line_items[i];
    const std::string field = "line_items[" + std::to_string(i) + "]";
    if (auto e = ValidateText(item.sku, kMaxShortTextLength, field + ".sku")) return e;
    if (auto e = ValidateText(item.category, kMaxShortTextLength, field + ".category")) return e;
    if (auto e = ValidateAmount(item.amount, programme_currency, field + ".amount")) return e;
    // Each term is at most 10^12 and there are at most 500: no overflow.
    line_total += item.amount.amount_minor;
  }
  if (line_total > command.amount.amount_minor) {
    return Error::InvalidArgument("line_items", "line item amounts exceed the purchase amount");
  }
  if (auto e = ValidateText(command.store_id, kMaxShortTextLength, "store_id")) return e;
  if (auto e = ValidateText(command.receipt_id, kMaxShortTextLength, "receipt_id")) return e;
  return std::nullopt;
}

std::optional<Error> ValidateRedeem(const RedeemCommand& command) {
  if (auto e = ValidateRequestId(command.key.request_id)) return e;
  if (auto e = ValidateMemberRef(command.member)) return e;
  if (auto e = ValidatePoints(command.points, "points")) return e;
  if (auto e = ValidateText(command.reference, kMaxShortTextLength, "reference")) return e;
  if (auto e = ValidateText(command.receipt_id, kMaxShortTextLength, "receipt_id")) return e;
  return std::nullopt;
}

std::optional<Error> ValidateHold(const HoldCommand& command, int32_t max_ttl_seconds) {
  if (auto e = ValidateRequestId(command.key.request_id)) return e;
  if (auto e = ValidateMemberRef(command.member)) return e;
  if (auto e = ValidatePoints(command.points, "points")) return e;
  if (command.ttl_seconds < 0 || command.ttl_seconds > max_ttl_seconds) {
    return Error::InvalidArgument("ttl_seconds", "must be between 0 (default) and " +
                                                     std::to_string(max_ttl_seconds));
  }
  if (auto e = ValidateText(command.reference, kMaxShortTextLength, "reference")) return e;
  return std::nullopt;
}

std::optional<Error> ValidateCapture(const CaptureCommand& command) {
  if (auto e = ValidateRequestId(command.key.request_id)) return e;
  if (command.hold_id <= 0) return Error::InvalidArgument("hold_id", "is not a hold id");
  if (command.points != 0) {
    if (auto e = ValidatePoints(command.points, "points")) return e;
  }
  if (auto e = ValidateText(command.receipt_id, kMaxShortTextLength, "receipt_id")) return e;
  return std::nullopt;
}

std::optional<Error> ValidateVoid(const VoidCommand& command) {
  if (auto e = ValidateRequestId(command.key.request_id)) return e;
  if (command.hold_id <= 0) return Error::InvalidArgument("hold_id", "is not a hold id");
  return std::nullopt;
}

std::optional<Error> ValidateRefund(const RefundCommand& command,
                                    std::string_view programme_currency) {
  if (auto e = ValidateRequestId(command.key.request_id)) return e;
  if (auto e = ValidateRequiredText(command.receipt_id, kMaxShortTextLength, "receipt_id")) {
    return e;
  }
  if (command.amount) {
    if (auto e = ValidateAmount(*command.amount, programme_currency, "amount")) return e;
  }
  return std::nullopt;
}

Result<std::string> NormaliseCertificateIdentity(CertificateMatch match, std::string_view text) {
  if (match == CertificateMatch::kSubjectAltName) {
    if (auto e = ValidateRequiredText(text, 256, "identity")) return *e;
    return std::string(text);
  }
  std::string hex;
  for (char c : text) {
    if (c == ':') continue;
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || hex.size() == 64) {
      return Error::InvalidArgument("identity",
                                    "a SHA-256 fingerprint is 64 hex digits (colons allowed)");
    }
    hex.push_back(c);
  }
  if (hex.size() != 64) {
    return Error::InvalidArgument("identity",
                                  "a SHA-256 fingerprint is 64 hex digits (colons allowed)");
  }
  return hex;
}

}  // namespace coalition::domain
