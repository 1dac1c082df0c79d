// Building the columnar snapshot (see columnar.h).
#include "analysis-svc/src/domain/columnar.h"

#include <algorithm>

namespace cak::analysis::domain {

int64_t ColumnarSnapshot::MemoryBytes() const {
  auto bytes = [](const auto& v) { return static_cast<int64_t>(v.capacity() * sizeof(v[0])); };
  int64_t total = bytes(bsn) + bytes(regulation) + bytes(municipality) + bytes(debt_cents) + bytes(flags) +
                  bytes(routing) + bytes(reach) + bytes(birth_ymd) + bytes(inactive_since) + bytes(addressee_relation) +
                  bytes(municipality_numbers) + bytes(mailing_offset) + bytes(mailing_day) + bytes(mailing_type) +
                  bytes(contact_offset) + bytes(contact_day) + bytes(contact_channel) + bytes(contact_topic) +
                  bytes(contact_topics);
  for (const std::string& t : contact_topics) total += static_cast<int64_t>(t.capacity());
  return total;
}

std::optional<uint32_t> ColumnarSnapshot::RowOf(int32_t bsn_value) const {
  auto it = std::lower_bound(bsn.begin(), bsn.end(), bsn_value);
  if (it == bsn.end() || *it != bsn_value) return std::nullopt;
  return static_cast<uint32_t>(it - bsn.begin());
}

std::optional<uint16_t> ColumnarSnapshot::MunicipalityIndex(int number) const {
  auto it = std::lower_bound(municipality_numbers.begin(), municipality_numbers.end(), number);
  if (it == municipality_numbers.end() || *it != number) return std::nullopt;
  return static_cast<uint16_t>(it - municipality_numbers.begin());
}

namespace {

uint8_t ReachOf(bool post, bool phone, bool email) {
  return static_cast<uint8_t>((post ? kReachPost : 0) | (phone ? kReachPhone : 0) | (email ? kReachEmail : 0));
}

}  // namespace

void ColumnarBuilder::Reserve(size_t customers, size_t relations, size_t mailings, size_t contacts) {
  customers_.reserve(customers);
  relations_.reserve(relations);
  mailings_.reserve(mailings);
  contacts_.reserve(contacts);
}

void ColumnarBuilder::FinishCustomers() {
  ColumnarSnapshot& s = snapshot_;
  const size_t n = customers_.size();
  // The order by BSN as (BSN, arrival) pairs in one integer each (the sign bit flipped so that
  // unsigned order is signed order): sorting those is several times faster than sorting the
  // rows themselves.
  std::vector<uint64_t> order(n);
  for (size_t i = 0; i < n; ++i) {
    order[i] = (static_cast<uint64_t>(static_cast<uint32_t>(customers_[i].bsn) ^ 0x80000000u) << 32) | i;
  }
  if (!std::is_sorted(order.begin(), order.end())) std::sort(order.begin(), order.end());

  absl::flat_hash_map<int, uint16_t> municipality_index;
  for (const auto& c : customers_) municipality_index.try_emplace(c.municipality, 0);
  for (const auto& [number, unused] : municipality_index) s.municipality_numbers.push_back(number);
  std::sort(s.municipality_numbers.begin(), s.municipality_numbers.end());
  for (size_t i = 0; i < s.municipality_numbers.size(); ++i) {
    municipality_index[s.municipality_numbers[i]] = static_cast<uint16_t>(i);
  }

  s.bsn.resize(n);
  s.regulation.resize(n);
  s.municipality.resize(n);
  s.debt_cents.resize(n);
  s.flags.resize(n);
  s.routing.resize(n);
  s.reach.resize(n);
  s.birth_ymd.resize(n);
  s.inactive_since.resize(n);
  s.addressee_relation.assign(n, -1);
  for (size_t i = 0; i < n; ++i) {
    const CustomerRow& c = customers_[order[i] & 0xffffffffu];
    s.bsn[i] = c.bsn;
    s.regulation[i] = c.regulation;
    s.municipality[i] = municipality_index[c.municipality];
    s.debt_cents[i] = c.debt_cents;
    s.flags[i] = static_cast<uint8_t>((c.payment_plan ? kPaymentPlan : 0) | (c.active ? kActive : 0));
    s.routing[i] = static_cast<uint8_t>(Routing::kCustomer);
    s.reach[i] = ReachOf(c.has_address, c.has_phone, c.has_email);
    s.birth_ymd[i] = c.birth_ymd;
    s.inactive_since[i] = c.inactive_since;
  }
  customers_.clear();
  customers_.shrink_to_fit();

  // The bucket index: BSNs are spread evenly over their range, so the top bits of a BSN point
  // at a row or two. Millions of event rows find their customer without a binary search.
  const int64_t max_bsn = n > 0 ? std::max<int64_t>(s.bsn.back(), 0) : 0;
  bucket_shift_ = 0;
  while ((max_bsn >> bucket_shift_) > static_cast<int64_t>(2 * n + 1)) ++bucket_shift_;
  const size_t buckets = static_cast<size_t>(max_bsn >> bucket_shift_) + 2;
  bucket_.assign(buckets + 1, static_cast<uint32_t>(n));
  size_t b = 0;
  for (size_t row = 0; row < n; ++row) {
    const int32_t bsn = std::max<int32_t>(s.bsn[row], 0);
    for (const size_t end = static_cast<size_t>(bsn >> bucket_shift_); b <= end; ++b) {
      bucket_[b] = static_cast<uint32_t>(row);
    }
  }
}

uint32_t ColumnarBuilder::FindRow(int32_t bsn) const {
  if (bsn < 0) return kNoRow;
  const size_t b = static_cast<size_t>(bsn >> bucket_shift_);
  if (b + 1 >= bucket_.size()) return kNoRow;
  const std::vector<int32_t>& keys = snapshot_.bsn;
  for (uint32_t row = bucket_[b], end = bucket_[b + 1]; row < end; ++row) {
    if (keys[row] == bsn) return row;
  }
  return kNoRow;
}

void ColumnarBuilder::FinishRelations() {
  ColumnarSnapshot& s = snapshot_;
  // Relations in import order per customer; the first legal representative wins, else the
  // first contact person who asked to receive the customer's mail.
  std::sort(relations_.begin(), relations_.end(), [](const RelationRow& a, const RelationRow& b) {
    return a.customer_bsn != b.customer_bsn ? a.customer_bsn < b.customer_bsn : a.seq < b.seq;
  });
  for (size_t k = 0; k < relations_.size();) {
    size_t end = k;
    while (end < relations_.size() && relations_[end].customer_bsn == relations_[k].customer_bsn) ++end;
    if (const uint32_t row = FindRow(relations_[k].customer_bsn); row != kNoRow) {
      const RelationRow* representative = nullptr;
      const RelationRow* contact = nullptr;
      for (size_t j = k; j < end; ++j) {
        const RelationRow& r = relations_[j];
        if (r.kind == static_cast<uint8_t>(RelationKind::kLegalRepresentative)) {
          s.flags[row] |= kHasRepresentative;
          if (!representative) representative = &r;
        } else {
          s.flags[row] |= kHasContactPerson;
          if (!contact && r.routing == static_cast<uint8_t>(RoutingPreference::kRelation)) contact = &r;
        }
      }
      const RelationRow* addressee = representative ? representative : contact;
      if (addressee) {
        s.routing[row] = static_cast<uint8_t>(representative ? Routing::kRepresentative : Routing::kContactPerson);
        s.reach[row] = ReachOf(addressee->has_address, addressee->has_phone, addressee->has_email);
        s.addressee_relation[row] = addressee->seq;
      }
    }
    k = end;
  }
  relations_.clear();
  relations_.shrink_to_fit();
}

// Events into CSR layout by counting: the row of each event, counts per row, prefix sums,
// then each event to its place; finally each customer's few events by (day, code). (Events
// equal but for the topic are interchangeable: no result depends on their order.)
void ColumnarBuilder::LayoutEvents(std::vector<Event>& events, std::vector<uint32_t>& offset,
                                   std::vector<DayNumber>& day, std::vector<uint8_t>& code,
                                   std::vector<uint32_t>* topic) const {
  const size_t n = snapshot_.bsn.size();
  std::vector<uint32_t> rows(events.size());
  offset.assign(n + 1, 0);
  int32_t last_bsn = -1;
  uint32_t last_row = kNoRow;
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].bsn != last_bsn) {  // (a customer's events mostly arrive together)
      last_bsn = events[i].bsn;
      last_row = FindRow(last_bsn);
    }
    rows[i] = last_row;
    if (last_row != kNoRow) ++offset[last_row + 1];
  }
  for (size_t r = 0; r < n; ++r) offset[r + 1] += offset[r];
  const size_t total = offset[n];
  day.resize(total);
  code.resize(total);
  if (topic) topic->resize(total);
  std::vector<uint32_t> next(offset.begin(), offset.end() - 1);
  for (size_t i = 0; i < events.size(); ++i) {
    if (rows[i] == kNoRow) continue;  // customer no longer there
    const uint32_t at = next[rows[i]]++;
    day[at] = events[i].day;
    code[at] = events[i].code;
    if (topic) (*topic)[at] = events[i].topic;
  }
  events.clear();
  events.shrink_to_fit();
  std::vector<Event> range;
  for (size_t r = 0; r < n; ++r) {
    const uint32_t begin = offset[r], end = offset[r + 1];
    bool sorted = true;
    for (uint32_t k = begin + 1; k < end && sorted; ++k) {
      sorted = day[k - 1] < day[k] || (day[k - 1] == day[k] && code[k - 1] <= code[k]);
    }
    if (sorted) continue;
    range.clear();
    for (uint32_t k = begin; k < end; ++k) range.push_back({0, day[k], code[k], topic ? (*topic)[k] : 0});
    std::sort(range.begin(), range.end(),
              [](const Event& a, const Event& b) { return a.day != b.day ? a.day < b.day : a.code < b.code; });
    for (uint32_t k = begin; k < end; ++k) {
      day[k] = range[k - begin].day;
      code[k] = range[k - begin].code;
      if (topic) (*topic)[k] = range[k - begin].topic;
    }
  }
}

void ColumnarBuilder::FinishMailings() {
  LayoutEvents(mailings_, snapshot_.mailing_offset, snapshot_.mailing_day, snapshot_.mailing_type, nullptr);
}

void ColumnarBuilder::FinishContacts() {
  LayoutEvents(contacts_, snapshot_.contact_offset, snapshot_.contact_day, snapshot_.contact_channel,
               &snapshot_.contact_topic);
  topic_index_.clear();
}

ColumnarSnapshot ColumnarBuilder::Take() && {
  bucket_.clear();
  bucket_.shrink_to_fit();
  return std::move(snapshot_);
}

ColumnarSnapshot ColumnarBuilder::Build() && {
  FinishCustomers();
  FinishRelations();
  FinishMailings();
  FinishContacts();
  return std::move(*this).Take();
}

uint32_t ColumnarBuilder::TopicIndex(std::string_view topic) {
  if (snapshot_.contact_topics.empty()) {  // index 0: no topic
    snapshot_.contact_topics.emplace_back();
    topic_index_.emplace(std::string(), 0);
  }
  // Looked up without a copy: the topics are few, the reports millions.
  const absl::string_view key(topic.data(), topic.size());
  if (auto it = topic_index_.find(key); it != topic_index_.end()) return it->second;
  const auto index = static_cast<uint32_t>(snapshot_.contact_topics.size());
  topic_index_.emplace(std::string(topic), index);
  snapshot_.contact_topics.emplace_back(topic);
  return index;
}

}  // namespace cak::analysis::domain
