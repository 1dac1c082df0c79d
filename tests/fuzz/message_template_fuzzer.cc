// Fuzz: the message templates campaign staff write (placeholders in braces, per channel). Any
// text either parses or is refused with INVALID_ARGUMENT naming the field; a parsed template
// renders with every placeholder filled, and renders the same text twice.
#include <cstdint>
#include <string>

#include "common/base/message_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cak::common::MessageChannel;
  using cak::common::MessageTemplate;
  if (size < 1) return 0;
  const auto channel = static_cast<MessageChannel>(data[0] % 3);
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto parsed = MessageTemplate::Parse(text, channel, "message.text");
  if (!parsed.ok()) {
    if (parsed.status().code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
    return 0;
  }
  cak::common::PlaceholderValues values;
  for (size_t i = 0; i < values.size(); ++i) values[i] = i % 2 == 0 ? "Jansen" : "{aanhef}";
  const std::string once = parsed->Render(values);
  if (once != parsed->Render(values)) __builtin_trap();
  return 0;
}
