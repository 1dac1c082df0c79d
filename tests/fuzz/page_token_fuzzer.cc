// Fuzz: page tokens as a client sends them back. Whatever the text, Decode either refuses it
// (INVALID_ARGUMENT) or returns exactly the parts asked for, each valid for its kind (so no
// forged part reaches SQL); and a token this process encodes from those parts decodes to them.
// Random text almost never carries a valid check, so half the inputs are signed first (as if
// the key had leaked): the part checks behind the HMAC get fuzzed too.
#include <cstdint>
#include <string>
#include <vector>

#include "common/base/page_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cak::common::PagePart;
  static const cak::common::PageTokens tokens;
  if (size < 1) return 0;
  // The first byte picks the parts a method expects; the rest is the token.
  static const std::vector<std::vector<PagePart>> kShapes = {{PagePart::kId},
                                                             {PagePart::kMicros, PagePart::kUuid},
                                                             {PagePart::kDay, PagePart::kUuid, PagePart::kId},
                                                             {PagePart::kName},
                                                             {PagePart::kMicros, PagePart::kId}};
  const std::vector<PagePart>& parts = kShapes[data[0] % kShapes.size()];
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string token = body;
  if (data[0] & 0x80) {
    if (body.find('|') != std::string::npos) return 0;  // Encode's precondition
    std::vector<std::string> key;
    size_t start = 0;
    for (size_t nl = body.find('\n'); nl != std::string::npos; nl = body.find('\n', start)) {
      key.push_back(body.substr(start, nl - start));
      start = nl + 1;
    }
    key.push_back(body.substr(start));
    token = tokens.Encode("Fuzz:filter", key);
  }
  auto decoded = tokens.Decode(token, "Fuzz:filter", parts);
  if (!decoded.ok()) {
    if (decoded.status().code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
    return 0;
  }
  if (decoded->size() != parts.size()) __builtin_trap();
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!cak::common::ValidPagePart(parts[i], (*decoded)[i])) __builtin_trap();
  }
  // Only this process's key makes tokens that pass; one it made round-trips.
  auto again = tokens.Decode(tokens.Encode("Fuzz:filter", *decoded), "Fuzz:filter", parts);
  if (!again.ok() || *again != *decoded) __builtin_trap();
  return 0;
}
