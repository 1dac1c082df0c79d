// Synthetic data (see synthetic.h).
#include "common/base/synthetic.h"

#include <set>
#include <string>

namespace cak::common {

uint64_t SyntheticRandom::Next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::vector<Bsn> SyntheticBsns(uint64_t seed, int count) {
  SyntheticRandom rng(seed);
  std::vector<Bsn> out;
  std::set<std::string> seen;
  while (static_cast<int>(out.size()) < count) {
    // Eight digits, the first 1..6 like issued numbers, then the check digit the 11-test needs.
    std::string digits = std::to_string(1 + rng.Below(6));
    for (int i = 1; i < 8; ++i) digits.push_back(static_cast<char>('0' + rng.Below(10)));
    int sum = 0;
    for (int i = 0; i < 8; ++i) sum += (9 - i) * (digits[i] - '0');
    const int check = sum % 11;  // sum - check9 must be divisible by 11
    if (check > 9) continue;
    digits.push_back(static_cast<char>('0' + check));
    auto bsn = Bsn::Parse(digits);
    if (bsn.ok() && seen.insert(digits).second) out.push_back(*std::move(bsn));
  }
  return out;
}

}  // namespace cak::common
