// Response measurement arithmetic (see response.h).
#include "analysis-svc/src/domain/response.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <queue>
#include <tuple>

#include "analysis-svc/src/domain/sampling.h"

namespace cak::analysis::domain {

absl::string_view DeliveryOutcomeName(int value) {
  switch (value) {
    case 0:
      return "NO_OUTCOME";
    case 1:
      return "LETTER_PRINTED";
    case 2:
      return "LETTER_RETURNED_UNDELIVERABLE";
    case 3:
      return "CALL_REACHED";
    case 4:
      return "CALL_NOT_REACHED";
    case 5:
      return "CALL_WRONG_NUMBER";
    case 6:
      return "CONTACT_MOMENT_PLACED";
  }
  return "";
}

bool IsDelivered(int value) {
  return value == static_cast<int>(DeliveryOutcome::kLetterPrinted) ||
         value == static_cast<int>(DeliveryOutcome::kCallReached) ||
         value == static_cast<int>(DeliveryOutcome::kContactMomentPlaced);
}

std::optional<Difference> DifferenceWithCi(const Rate& response, const Rate& control) {
  if (response.denominator == 0 || control.denominator == 0) return std::nullopt;
  const double p1 = response.rate(), p0 = control.rate();
  const double se = std::sqrt(p1 * (1 - p1) / static_cast<double>(response.denominator) +
                              p0 * (1 - p0) / static_cast<double>(control.denominator));
  Difference d;
  d.value = p1 - p0;
  d.ci_low = d.value - kZ95 * se;
  d.ci_high = d.value + kZ95 * se;
  return d;
}

int WeekCount(absl::CivilDay send_day, absl::CivilDay end_day) {
  return end_day < send_day ? 0 : static_cast<int>((end_day - send_day) / 7) + 1;
}

ResolvedFilter::ResolvedFilter(const ColumnarSnapshot& s, const ResponseFilter& filter) {
  for (int c : filter.channels) {
    if (c > 0 && c < 32) channel_mask_ |= 1u << c;
  }
  if (!filter.topics.empty()) {
    by_topic_ = true;
    asked_topics_ = filter.topics;
    topics_.assign(s.contact_topics.size(), false);
    for (size_t i = 0; i < s.contact_topics.size(); ++i) {
      topics_[i] = std::find(filter.topics.begin(), filter.topics.end(), s.contact_topics[i]) != filter.topics.end();
    }
  }
}

MemberResponse ResponseOf(const ColumnarSnapshot& s, uint32_t row, DayNumber send, DayNumber end,
                          const ResolvedFilter* filter, std::vector<uint32_t>* topics) {
  MemberResponse out;
  if (topics) topics->clear();
  // A customer has a handful of reports, by day ascending: a linear walk beats a search.
  const uint32_t last = s.contact_offset[row + 1];
  for (uint32_t k = s.contact_offset[row]; k < last; ++k) {
    const DayNumber day = s.contact_day[k];
    if (day < send) continue;
    if (day > end) break;
    if (filter && !filter->Counts(s, k)) continue;
    if (!out.responded) {
      out.responded = true;
      out.first_day = day;
      out.first_channel = static_cast<uint8_t>(s.contact_channel[k] & 0x7f);
    }
    ++out.contacts;
    if (topics && k < s.contact_topic.size()) {
      const uint32_t topic = s.contact_topic[k];
      if (topic != 0 && std::find(topics->begin(), topics->end(), topic) == topics->end()) topics->push_back(topic);
    }
  }
  return out;
}

std::vector<uint32_t> RowsOfMembers(const ColumnarSnapshot& s, const std::vector<int32_t>& bsn_by_position) {
  std::vector<uint32_t> rows(bsn_by_position.size(), kNotFound);
  const auto begin = s.bsn.begin(), end = s.bsn.end();
  auto cursor = begin;
  for (size_t p = 0; p < bsn_by_position.size(); ++p) {
    const int32_t b = bsn_by_position[p];
    if (b == 0) continue;
    // Forward from the previous member (gallop, then bisect); back to the start when the
    // list is not in BSN order.
    auto from = cursor != end && *cursor <= b ? cursor : begin;
    size_t step = 1;
    auto to = from;
    while (to != end && *to < b) {
      from = to;
      to = static_cast<size_t>(end - to) > step ? to + static_cast<std::ptrdiff_t>(step) : end;
      step *= 2;
    }
    auto it = std::lower_bound(from, to == end ? end : to + 1, b);
    if (it != end && *it == b) rows[p] = static_cast<uint32_t>(it - begin);
    cursor = it;
  }
  return rows;
}

std::vector<uint8_t> LatestOutcomes(const std::vector<PositionOutcome>& outcomes, const std::string& list_id,
                                    int64_t member_count) {
  std::vector<uint8_t> out(static_cast<size_t>(std::max<int64_t>(member_count, 0)), 0);
  std::vector<absl::Time> when(out.size(), absl::InfinitePast());
  for (const PositionOutcome& o : outcomes) {
    if (o.recipient_list != list_id || o.position < 1 || o.position > member_count) continue;
    const size_t i = static_cast<size_t>(o.position - 1);
    if (out[i] == 0 || o.outcome_time >= when[i]) {
      out[i] = o.outcome;
      when[i] = o.outcome_time;
    }
  }
  return out;
}

namespace {

// Responders of a list by week of their first response (index week - 1) and their count over
// found members.
struct Tally {
  int64_t found = 0;
  int64_t responders = 0;
  std::vector<int64_t> first_in_week;
  std::array<int64_t, kContactChannelSlots> by_channel{};
  std::vector<int64_t> by_topic;  // by topic index: members with a counted report on it
};

Tally TallyList(const ColumnarSnapshot& s, const std::vector<uint32_t>& rows, DayNumber send, DayNumber end, int weeks,
                const ResolvedFilter* filter, const std::vector<uint8_t>* outcomes, Rate* when_delivered,
                std::vector<bool>* responded) {
  Tally t;
  t.first_in_week.assign(static_cast<size_t>(weeks), 0);
  t.by_topic.assign(s.contact_topics.size(), 0);
  if (responded) responded->assign(rows.size(), false);
  std::vector<uint32_t> topics;  // the member's, distinct
  for (size_t p = 0; p < rows.size(); ++p) {
    const uint32_t row = rows[p];
    if (row == kNotFound) continue;
    ++t.found;
    const MemberResponse r = ResponseOf(s, row, send, end, filter, &topics);
    for (uint32_t topic : topics) ++t.by_topic[topic];
    const bool delivered = outcomes && IsDelivered((*outcomes)[p]);
    if (delivered) ++when_delivered->denominator;
    if (!r.responded) continue;
    ++t.responders;
    ++t.first_in_week[static_cast<size_t>((r.first_day - send) / 7)];
    if (r.first_channel < kContactChannelSlots) ++t.by_channel[r.first_channel];
    if (delivered) ++when_delivered->numerator;
    if (responded) (*responded)[p] = true;
  }
  return t;
}

double Share(int64_t n, int64_t d) { return d == 0 ? 0.0 : static_cast<double>(n) / static_cast<double>(d); }

// GroupResponse::by_topic from the tallies of the contacted and the control list (a default
// Tally, without by_topic, when there is no control list).
std::vector<TopicResponse> ByTopic(const ColumnarSnapshot& s, const ResolvedFilter* filter, const Tally& main,
                                   const Tally& control) {
  auto at = [](const std::vector<int64_t>& counts, size_t i) { return i < counts.size() ? counts[i] : 0; };
  auto entry = [&](std::string topic, size_t i) {
    const int64_t n = at(main.by_topic, i), c = at(control.by_topic, i);
    return TopicResponse{std::move(topic), n, Share(n, main.found), c, Share(c, control.found)};
  };
  std::vector<TopicResponse> out;
  if (filter && !filter->topics().empty()) {
    for (const std::string& topic : filter->topics()) {
      const auto it = std::find(s.contact_topics.begin(), s.contact_topics.end(), topic);
      // A topic not in this snapshot's reports: index past the counts, so 0.
      out.push_back(entry(topic, static_cast<size_t>(it - s.contact_topics.begin())));
    }
    return out;
  }
  for (size_t i = 1; i < main.by_topic.size(); ++i) {
    if (main.by_topic[i] > 0) out.push_back(entry(s.contact_topics[i], i));
  }
  std::sort(out.begin(), out.end(), [](const TopicResponse& a, const TopicResponse& b) {
    return a.responders != b.responders ? a.responders > b.responders : a.topic < b.topic;
  });
  return out;
}

}  // namespace

GroupResponse MeasureGroup(const ColumnarSnapshot& s, const GroupInput& in, absl::CivilDay end_day,
                           std::vector<bool>* responded) {
  GroupResponse g;
  g.group = in.group;
  g.channel = in.channel;
  g.send_day = in.send_day;
  const DayNumber send = ToDayNumber(in.send_day), end = ToDayNumber(end_day);
  const int weeks = WeekCount(in.send_day, end_day);
  const Tally main = TallyList(s, in.rows, send, end, weeks, in.filter, in.outcomes ? &*in.outcomes : nullptr,
                               &g.response_when_delivered, responded);
  g.contacted = static_cast<int64_t>(in.rows.size());
  g.not_found = g.contacted - main.found;
  g.response = Rate{main.responders, main.found};
  Tally control;
  control.first_in_week.assign(static_cast<size_t>(weeks), 0);
  if (in.control_rows) {
    Rate unused;
    control = TallyList(s, *in.control_rows, send, end, weeks, in.filter, nullptr, &unused, nullptr);
    g.control_response = Rate{control.responders, control.found};
    g.difference = DifferenceWithCi(g.response, g.control_response);
  }
  for (int c = 1; c < kContactChannelSlots; ++c) {
    g.by_channel.push_back(ChannelResponse{c, main.by_channel[c], Share(main.by_channel[c], main.found)});
  }
  g.by_topic = ByTopic(s, in.filter, main, control);
  int64_t cumulative = 0, control_cumulative = 0;
  for (int w = 0; w < weeks; ++w) {
    cumulative += main.first_in_week[w];
    control_cumulative += control.first_in_week[w];
    WeekResponse wr;
    wr.week = w + 1;
    wr.week_start = in.send_day + 7 * w;
    wr.new_responders = main.first_in_week[w];
    wr.cumulative_rate = Share(cumulative, main.found);
    wr.control_cumulative_rate = Share(control_cumulative, control.found);
    g.by_week.push_back(wr);
  }
  if (in.outcomes) {
    std::array<int64_t, kDeliveryOutcomeSlots> counts{};
    for (uint8_t o : *in.outcomes) ++counts[o < kDeliveryOutcomeSlots ? o : 0];
    for (int o = 1; o < kDeliveryOutcomeSlots; ++o) {
      if (counts[o] > 0) g.outcomes.push_back(OutcomeCount{std::string(DeliveryOutcomeName(o)), counts[o]});
    }
    if (counts[0] > 0) g.outcomes.push_back(OutcomeCount{std::string(DeliveryOutcomeName(0)), counts[0]});
  }
  return g;
}

void Totals(const std::vector<GroupResponse>& groups, Rate* response, Rate* control) {
  *response = Rate{};
  *control = Rate{};
  for (const GroupResponse& g : groups) {
    response->numerator += g.response.numerator;
    response->denominator += g.response.denominator;
    control->numerator += g.control_response.numerator;
    control->denominator += g.control_response.denominator;
  }
}

ResponseSample DrawResponseSample(const ColumnarSnapshot& s, const std::vector<GroupInput>& groups,
                                  const std::vector<std::vector<bool>>& responded, int size, uint64_t seed) {
  ResponseSample out;
  if (size <= 0) return out;
  // (key, group, position): the smallest keys win; group and position break ties.
  using Entry = std::tuple<uint64_t, size_t, int64_t, uint32_t>;
  std::priority_queue<Entry> yes, no;  // bounded max-heaps
  auto offer = [size](std::priority_queue<Entry>& heap, const Entry& e) {
    if (static_cast<int>(heap.size()) < size) {
      heap.push(e);
    } else if (e < heap.top()) {
      heap.pop();
      heap.push(e);
    }
  };
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::vector<uint32_t>& rows = groups[g].rows;
    for (size_t p = 0; p < rows.size(); ++p) {
      if (rows[p] == kNotFound) continue;
      const Entry e{DrawKey(seed, s.bsn[rows[p]]), g, static_cast<int64_t>(p + 1), rows[p]};
      offer(responded[g][p] ? yes : no, e);
    }
  }
  auto drain = [](std::priority_queue<Entry>& heap, std::vector<SampledMember>* members) {
    std::vector<Entry> v;
    while (!heap.empty()) {
      v.push_back(heap.top());
      heap.pop();
    }
    std::sort(v.begin(), v.end());
    for (const Entry& e : v) members->push_back(SampledMember{std::get<1>(e), std::get<2>(e), std::get<3>(e)});
  };
  drain(yes, &out.responders);
  drain(no, &out.non_responders);
  return out;
}

}  // namespace cak::analysis::domain
