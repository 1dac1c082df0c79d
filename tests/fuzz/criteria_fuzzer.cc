// Fuzz: the stored form of selection criteria (analysis-svc keeps target-group definitions
// as JSON and decodes them for every preview, freeze and erasure). Any text decodes or is
// refused with a status; a decoded tree encodes to text that decodes to the same tree, and
// validating it and listing the customers it names never crash.
#include <cstdint>
#include <string>

#include "analysis-svc/src/domain/criteria.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace d = cak::analysis::domain;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto criteria = d::FromJson(text);
  if (!criteria.ok()) return 0;
  (void)d::Validate(*criteria, "criteria");
  (void)d::NamedCustomers(*criteria);
  const std::string json = d::ToJson(*criteria);
  auto again = d::FromJson(json);
  if (!again.ok() || d::ToJson(*again) != json) __builtin_trap();
  return 0;
}
