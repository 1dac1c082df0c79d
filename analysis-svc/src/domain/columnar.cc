// Building the columnar snapshot (see columnar.h).
#include "analysis-svc/src/domain/columnar.h"

#include <algorithm>

namespace cak::analysis::domain {

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

ColumnarSnapshot ColumnarBuilder::Build() && {
  ColumnarSnapshot& s = snapshot_;
  std::sort(customers_.begin(), customers_.end(),
            [](const CustomerRow& a, const CustomerRow& b) { return a.bsn < b.bsn; });
  const size_t n = customers_.size();

  for (const auto& c : customers_) s.municipality_numbers.push_back(c.municipality);
  std::sort(s.municipality_numbers.begin(), s.municipality_numbers.end());
  s.municipality_numbers.erase(std::unique(s.municipality_numbers.begin(), s.municipality_numbers.end()),
                               s.municipality_numbers.end());

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
    const CustomerRow& c = customers_[i];
    s.bsn[i] = c.bsn;
    s.regulation[i] = c.regulation;
    s.municipality[i] = *s.MunicipalityIndex(c.municipality);
    s.debt_cents[i] = c.debt_cents;
    s.flags[i] = static_cast<uint8_t>((c.payment_plan ? kPaymentPlan : 0) | (c.active ? kActive : 0));
    s.routing[i] = static_cast<uint8_t>(Routing::kCustomer);
    s.reach[i] = ReachOf(c.has_address, c.has_phone, c.has_email);
    s.birth_ymd[i] = c.birth_ymd;
    s.inactive_since[i] = c.inactive_since;
  }
  customers_.clear();
  customers_.shrink_to_fit();

  // Routing: relations in import order per customer; the first legal representative wins,
  // else the first contact person who asked to receive the customer's mail.
  std::sort(relations_.begin(), relations_.end(), [](const RelationRow& a, const RelationRow& b) {
    return a.customer_bsn != b.customer_bsn ? a.customer_bsn < b.customer_bsn : a.seq < b.seq;
  });
  for (size_t k = 0; k < relations_.size();) {
    size_t end = k;
    while (end < relations_.size() && relations_[end].customer_bsn == relations_[k].customer_bsn) ++end;
    if (auto row = s.RowOf(relations_[k].customer_bsn)) {
      const RelationRow* representative = nullptr;
      const RelationRow* contact = nullptr;
      for (size_t j = k; j < end; ++j) {
        const RelationRow& r = relations_[j];
        if (r.kind == static_cast<uint8_t>(RelationKind::kLegalRepresentative)) {
          s.flags[*row] |= kHasRepresentative;
          if (!representative) representative = &r;
        } else {
          s.flags[*row] |= kHasContactPerson;
          if (!contact && r.routing == static_cast<uint8_t>(RoutingPreference::kRelation)) contact = &r;
        }
      }
      const RelationRow* addressee = representative ? representative : contact;
      if (addressee) {
        s.routing[*row] = static_cast<uint8_t>(representative ? Routing::kRepresentative : Routing::kContactPerson);
        s.reach[*row] = ReachOf(addressee->has_address, addressee->has_phone, addressee->has_email);
        s.addressee_relation[*row] = addressee->seq;
      }
    }
    k = end;
  }
  relations_.clear();
  relations_.shrink_to_fit();

  // Events into CSR layout: count per row, prefix sums, then place (contacts sorted by day).
  auto layout = [&](std::vector<Event>& events, std::vector<uint32_t>& offset, std::vector<DayNumber>& day,
                    std::vector<uint8_t>& code, std::vector<uint32_t>* topic) {
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      // (Reports equal but for the topic are interchangeable: no result depends on their order.)
      return a.bsn != b.bsn ? a.bsn < b.bsn : a.day != b.day ? a.day < b.day : a.code < b.code;
    });
    offset.assign(n + 1, 0);
    day.clear();
    code.clear();
    day.reserve(events.size());
    code.reserve(events.size());
    if (topic) {
      topic->clear();
      topic->reserve(events.size());
    }
    size_t row = 0;
    for (const Event& e : events) {
      while (row < n && s.bsn[row] < e.bsn) offset[++row] = static_cast<uint32_t>(day.size());
      if (row >= n || s.bsn[row] != e.bsn) continue;  // customer no longer there
      day.push_back(e.day);
      code.push_back(e.code);
      if (topic) topic->push_back(e.topic);
    }
    while (row < n) offset[++row] = static_cast<uint32_t>(day.size());
    events.clear();
    events.shrink_to_fit();
  };
  layout(mailings_, s.mailing_offset, s.mailing_day, s.mailing_type, nullptr);
  layout(contacts_, s.contact_offset, s.contact_day, s.contact_channel, &s.contact_topic);
  topic_index_.clear();
  return std::move(snapshot_);
}

uint32_t ColumnarBuilder::TopicIndex(std::string_view topic) {
  if (snapshot_.contact_topics.empty()) {  // index 0: no topic
    snapshot_.contact_topics.emplace_back();
    topic_index_.emplace(std::string(), 0);
  }
  auto [it, inserted] =
      topic_index_.try_emplace(std::string(topic), static_cast<uint32_t>(snapshot_.contact_topics.size()));
  if (inserted) snapshot_.contact_topics.emplace_back(topic);
  return it->second;
}

}  // namespace cak::analysis::domain
