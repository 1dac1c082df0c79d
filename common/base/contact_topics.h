// The topic vocabulary of CAK's customer-contact reports: the "onderwerp" list the KCC records a
// contact under, as the contact-report extract (analysis-svc's contact_reports data set)
// carries it, exact text. campaign-svc checks a campaign's response topics against it, so that a
// response measurement counts topics the extract can contain; tools/datagen generates reports
// with these topics only.
#pragma once

#include <span>
#include <string_view>

namespace cak::common {

// Every topic, in a fixed order.
std::span<const std::string_view> ContactTopics();
// Whether `topic` is one of ContactTopics() (exact, case-sensitive).
bool IsContactTopic(std::string_view topic);

}  // namespace cak::common
