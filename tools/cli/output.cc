// Command-line output helpers (see output.h).
#include "cli/output.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "cli/client.h"

namespace cak::cli {

int Fail(const grpc::Status& st) {
  std::fprintf(stderr, "%s\n", DescribeError(st).c_str());
  return 1;
}

int Usage(const std::string& text) {
  std::fprintf(stderr, "usage: %s\n", text.c_str());
  return 2;
}

void Step(int n, const std::string& title) {
  std::printf("\n\033[1m[%d] %s\033[0m\n", n, title.c_str());
  std::fflush(stdout);
}

std::string Short(const std::string& full, const std::string& prefix) {
  return full.rfind(prefix, 0) == 0 ? full.substr(prefix.size()) : full;
}

std::string Thousands(int64_t n) {
  const std::string digits = absl::StrCat(n < 0 ? -n : n);
  std::string out = n < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back('.');
    out.push_back(digits[i]);
  }
  return out;
}

void SetDay(absl::CivilDay d, cak::voorlichting::type::v1::Date* out) {
  out->set_year(static_cast<int32_t>(d.year()));
  out->set_month(d.month());
  out->set_day(d.day());
}

std::string Day(const cak::voorlichting::type::v1::Date& d) {
  if (d.year() == 0) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year(), d.month(), d.day());
  return buf;
}

}  // namespace cak::cli
