// A fixed-size set of row numbers (one bit per customer of a columnar snapshot): what a
// criteria tree evaluates to. Word-wise AND / OR / NOT make combining predicates cheap.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

namespace cak::analysis::domain {

class Bitmap {
 public:
  Bitmap() = default;
  // `size` rows, all clear (or all set).
  explicit Bitmap(uint32_t size, bool value = false) : size_(size), words_((size + 63) / 64, value ? ~uint64_t{0} : 0) {
    if (value) ClearTail();
  }

  uint32_t size() const { return size_; }
  bool Test(uint32_t i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  void Set(uint32_t i) { words_[i >> 6] |= uint64_t{1} << (i & 63); }
  void Clear(uint32_t i) { words_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }

  Bitmap& operator&=(const Bitmap& o) {
    for (size_t w = 0; w < words_.size(); ++w) words_[w] &= o.words_[w];
    return *this;
  }
  Bitmap& operator|=(const Bitmap& o) {
    for (size_t w = 0; w < words_.size(); ++w) words_[w] |= o.words_[w];
    return *this;
  }
  // this &= ~o
  Bitmap& AndNot(const Bitmap& o) {
    for (size_t w = 0; w < words_.size(); ++w) words_[w] &= ~o.words_[w];
    return *this;
  }
  void Invert() {
    for (auto& w : words_) w = ~w;
    ClearTail();
  }

  int64_t Count() const {
    int64_t n = 0;
    for (uint64_t w : words_) n += std::popcount(w);
    return n;
  }

  // Calls fn(row) for every set row, ascending.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t w = 0; w < words_.size(); ++w) {
      uint64_t bits = words_[w];
      while (bits) {
        const int b = std::countr_zero(bits);
        fn(static_cast<uint32_t>(w * 64 + b));
        bits &= bits - 1;
      }
    }
  }

  std::vector<uint64_t>& words() { return words_; }
  const std::vector<uint64_t>& words() const { return words_; }

 private:
  void ClearTail() {
    if (size_ % 64 != 0 && !words_.empty()) words_.back() &= (uint64_t{1} << (size_ % 64)) - 1;
  }
  uint32_t size_ = 0;
  std::vector<uint64_t> words_;
};

}  // namespace cak::analysis::domain
