// BSN validation (the 11-test).
#include "common/base/bsn.h"

#include "absl/strings/ascii.h"
#include "common/base/errors.h"

namespace cak::common {

bool Bsn::IsValid(absl::string_view value) {
  if (value.size() != 9) return false;
  int sum = 0;
  bool all_zero = true;
  for (int i = 0; i < 9; ++i) {
    const char c = value[i];
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    const int d = c - '0';
    if (d != 0) all_zero = false;
    sum += (i < 8 ? (9 - i) : -1) * d;
  }
  return !all_zero && sum % 11 == 0;
}

absl::StatusOr<Bsn> Bsn::Parse(absl::string_view value, absl::string_view field) {
  if (!IsValid(value)) {
    return InvalidField(reason::kInvalidBsn, field, "not a valid BSN: must be 9 digits that pass the 11-test");
  }
  return Bsn(std::string(value));
}

std::string Bsn::Masked() const { return "*****" + digits_.substr(5); }

}  // namespace cak::common
