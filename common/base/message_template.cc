// Message templates (see message_template.h).
#include "common/base/message_template.h"

#include "absl/strings/str_cat.h"
#include "common/base/errors.h"

namespace cak::common {

namespace {

constexpr absl::string_view kNames[kPlaceholderCount] = {
    "aanhef", "naam", "naam_geadresseerde", "klantnummer", "datum", "bedrag", "kenmerk"};

int Bit(MessageChannel c) { return 1 << static_cast<int>(c); }
constexpr int kLetter = 1, kCall = 2, kContactMoment = 4, kAll = 7;

// Channels that may use each placeholder: names and salutations never go into a contact
// moment (dataverkeer gets customer number and code only).
constexpr int kAllowed[kPlaceholderCount] = {kLetter | kCall, kLetter | kCall, kLetter | kCall, kAll, kAll, kAll, kAll};
// A letter opens with a salutation; a call script names whom to ask for.
constexpr int kRequired[kPlaceholderCount] = {kLetter, kCall, 0, 0, 0, 0, 0};

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

}  // namespace

absl::string_view PlaceholderName(Placeholder p) { return kNames[static_cast<int>(p)]; }

bool PlaceholderAllowed(Placeholder p, MessageChannel channel) {
  return (kAllowed[static_cast<int>(p)] & Bit(channel)) != 0;
}

bool PlaceholderRequired(Placeholder p, MessageChannel channel) {
  return (kRequired[static_cast<int>(p)] & Bit(channel)) != 0;
}

absl::StatusOr<MessageTemplate> MessageTemplate::Parse(absl::string_view text, MessageChannel channel,
                                                       absl::string_view field) {
  if (text.find_first_not_of(" \t\r\n") == absl::string_view::npos) {
    return InvalidField(reason::kTemplateEmpty, field, "the message text is empty");
  }
  if (text.size() > kMaxLength) {
    return InvalidField(reason::kTemplateTooLong, field,
                        absl::StrCat("the message text is longer than ", kMaxLength, " bytes"));
  }
  MessageTemplate t;
  std::string literal;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '}') {
      return InvalidField(reason::kUnbalancedBraces, field,
                          absl::StrCat("'}' at offset ", i, " closes no placeholder"));
    }
    if (c != '{') {
      literal.push_back(c);
      continue;
    }
    size_t end = i + 1;
    while (end < text.size() && IsNameChar(text[end])) ++end;
    if (end >= text.size() || text[end] != '}' || end == i + 1) {
      if (end < text.size() && text[end] != '}' && text[end] != '{' && end > i + 1) {
        // "{naam " or "{Naam}": a placeholder name with a character that cannot be in one.
        return InvalidField(reason::kUnbalancedBraces, field,
                            absl::StrCat("'{' at offset ", i, " is not closed by '}' right after a placeholder name"));
      }
      return InvalidField(reason::kUnbalancedBraces, field,
                          absl::StrCat("'{' at offset ", i, " does not open a placeholder {name}"));
    }
    const absl::string_view name = text.substr(i + 1, end - i - 1);
    int found = -1;
    for (int p = 0; p < kPlaceholderCount; ++p) {
      if (kNames[p] == name) found = p;
    }
    if (found < 0) {
      return InvalidField(reason::kUnknownPlaceholder, field, absl::StrCat("unknown placeholder {", name, "}"));
    }
    if (!PlaceholderAllowed(static_cast<Placeholder>(found), channel)) {
      return InvalidField(reason::kPlaceholderNotAllowed, field,
                          absl::StrCat("placeholder {", name, "} may not be used on this channel"));
    }
    t.parts_.push_back(Part{std::move(literal), found});
    literal.clear();
    t.used_[found] = true;
    i = end;
  }
  t.parts_.push_back(Part{std::move(literal), -1});
  for (int p = 0; p < kPlaceholderCount; ++p) {
    if (PlaceholderRequired(static_cast<Placeholder>(p), channel) && !t.used_[p]) {
      return InvalidField(reason::kRequiredPlaceholderMissing, field,
                          absl::StrCat("this channel requires placeholder {", kNames[p], "}"));
    }
  }
  return t;
}

void MessageTemplate::RenderTo(const PlaceholderValues& values, std::string* out) const {
  for (const Part& part : parts_) {
    out->append(part.literal);
    if (part.placeholder >= 0) out->append(values[part.placeholder].data(), values[part.placeholder].size());
  }
}

std::string MessageTemplate::Render(const PlaceholderValues& values) const {
  std::string out;
  RenderTo(values, &out);
  return out;
}

std::string DutchSalutation(SalutationKind kind, bool addressee_is_customer, absl::string_view addressee_name) {
  if (addressee_is_customer) {
    if (kind == SalutationKind::kMr) return absl::StrCat("Geachte heer ", addressee_name);
    if (kind == SalutationKind::kMs) return absl::StrCat("Geachte mevrouw ", addressee_name);
  }
  return absl::StrCat("Geachte ", addressee_name);
}

std::string DutchLongDate(absl::CivilDay day) {
  static constexpr absl::string_view kMonths[12] = {"januari",   "februari", "maart",    "april",
                                                    "mei",       "juni",     "juli",     "augustus",
                                                    "september", "oktober",  "november", "december"};
  return absl::StrCat(day.day(), " ", kMonths[day.month() - 1], " ", day.year());
}

}  // namespace cak::common
