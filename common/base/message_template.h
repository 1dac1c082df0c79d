// Message templates of information actions: Dutch text with placeholders such as {aanhef} and
// {naam}, written in campaign-svc (step 5) and rendered per recipient in dispatch-svc (step 8).
// Both validate with the same rules and render with the same code, so a template that
// campaign-svc accepted renders in dispatch-svc exactly as previewed.
//
// Syntax: "{name}" is a placeholder, name in [a-z_]; there is no escape, so a brace that does
// not open or close a placeholder is an error. Which placeholders a channel may use follows
// data minimisation (DESIGN.md 4.4): a contact moment carries no name, so its text may not
// either.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace cak::common {

enum class MessageChannel { kLetter, kCall, kContactMoment };

enum class Placeholder {
  kAanhef,             // "Geachte heer Jansen": the salutation line for the addressee
  kNaam,               // the customer's name
  kNaamGeadresseerde,  // who receives it: the customer, representative or contact person
  kKlantnummer,        // the customer number
  kDatum,              // the batch's date, "2 december 2026"
  kBedrag,             // an order-wide amount, "€ 12,50"
  kKenmerk,            // an order-wide reference, "VK-2026-017"
};
inline constexpr int kPlaceholderCount = 7;

// The placeholder's name in templates ("aanhef").
absl::string_view PlaceholderName(Placeholder p);
// Whether `channel` may use / must use `p`.
bool PlaceholderAllowed(Placeholder p, MessageChannel channel);
bool PlaceholderRequired(Placeholder p, MessageChannel channel);

// Reasons of template errors (INVALID_ARGUMENT).
namespace reason {
inline constexpr char kTemplateEmpty[] = "TEMPLATE_EMPTY";
inline constexpr char kTemplateTooLong[] = "TEMPLATE_TOO_LONG";
inline constexpr char kUnbalancedBraces[] = "UNBALANCED_BRACES";
inline constexpr char kUnknownPlaceholder[] = "UNKNOWN_PLACEHOLDER";
inline constexpr char kPlaceholderNotAllowed[] = "PLACEHOLDER_NOT_ALLOWED_FOR_CHANNEL";
inline constexpr char kRequiredPlaceholderMissing[] = "REQUIRED_PLACEHOLDER_MISSING";
}  // namespace reason

// The values of one rendering, indexed by Placeholder.
using PlaceholderValues = std::array<absl::string_view, kPlaceholderCount>;

class MessageTemplate {
 public:
  static constexpr size_t kMaxLength = 20000;

  // Parses and checks `text` for `channel`. INVALID_ARGUMENT with field `field` and one of the
  // reasons above; the message names the placeholder or the character offset.
  static absl::StatusOr<MessageTemplate> Parse(absl::string_view text, MessageChannel channel, absl::string_view field);

  // Appends the text with every placeholder replaced by its value.
  void RenderTo(const PlaceholderValues& values, std::string* out) const;
  std::string Render(const PlaceholderValues& values) const;

  // Whether the template uses `p` (callers skip computing values nobody reads).
  bool Uses(Placeholder p) const { return used_[static_cast<int>(p)]; }

 private:
  struct Part {
    std::string literal;  // text before the placeholder
    int placeholder;      // -1 for the trailing literal
  };
  std::vector<Part> parts_;
  std::array<bool, kPlaceholderCount> used_{};
};

// Dutch salutation line: "Geachte heer J. Jansen" / "Geachte mevrouw ..." / "Geachte <name>"
// (neutral, or when the letter goes to someone other than the customer, whose title is not
// known).
enum class SalutationKind { kUnknown, kMr, kMs, kNeutral };
std::string DutchSalutation(SalutationKind kind, bool addressee_is_customer, absl::string_view addressee_name);

// "2 december 2026".
std::string DutchLongDate(absl::CivilDay day);

}  // namespace cak::common
