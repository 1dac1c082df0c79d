// JSON text for what the suite writes itself: log lines, delivery manifests, JSON Lines data
// files. One writer, nlohmann's serializer, so escaping is never hand-made: invalid UTF-8 in a
// string becomes U+FFFD (the output is always valid UTF-8 JSON), NaN and infinities become null.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace cak::common {

// Compact (one line, no trailing newline).
std::string JsonText(const nlohmann::ordered_json& value);
// Indented by two spaces, for files people read (manifests).
std::string JsonTextIndented(const nlohmann::ordered_json& value);

}  // namespace cak::common
