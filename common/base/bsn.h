// The citizen service number (BSN): 9 digits that pass the 11-test
// (9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is a multiple of 11, and not all zeros).
//
// A Bsn is personal data. It deliberately has no operator<< and no implicit conversion to
// string, so it cannot slip into a log line; use digits() where the value must be stored or
// sent, and Masked() where a person needs a hint.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cak::common {

class Bsn {
 public:
  // Parses and validates. INVALID_ARGUMENT (reason INVALID_BSN, field `field`) when the value
  // is not 9 digits or fails the 11-test. The message never repeats the value.
  static absl::StatusOr<Bsn> Parse(absl::string_view value, absl::string_view field = "bsn");

  // True when `value` is a valid BSN.
  static bool IsValid(absl::string_view value);

  // The 9 digits.
  const std::string& digits() const { return digits_; }

  // "*****1234": enough for a person to tell two customers apart, not enough to identify one.
  std::string Masked() const;

  friend bool operator==(const Bsn& a, const Bsn& b) { return a.digits_ == b.digits_; }
  friend bool operator<(const Bsn& a, const Bsn& b) { return a.digits_ < b.digits_; }
  template <typename H>
  friend H AbslHashValue(H h, const Bsn& b) {
    return H::combine(std::move(h), b.digits_);
  }

 private:
  explicit Bsn(std::string digits) : digits_(std::move(digits)) {}
  std::string digits_;
};

}  // namespace cak::common
