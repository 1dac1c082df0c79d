// The in-memory columnar copy of one snapshot: what impact analysis, samples and target groups
// run on. One row per customer, ordered by BSN; each attribute a contiguous array, so a
// predicate is one tight loop over one column and a 2-million-customer analysis stays in the
// tens of milliseconds. Mailings and contact reports hang off their customer as CSR ranges.
//
// Only what selection and statistics need is here: no names, addresses, IBAN or care data
// (those stay in PostgreSQL and are read for the few rows a sample or a list needs).
//
// Immutable once built; shared between concurrent requests by shared_ptr. A snapshot is
// rebuilt from the database whenever a new snapshot version is published.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "analysis-svc/src/domain/model.h"

namespace cak::analysis::domain {

// Per-customer flag bits.
enum CustomerFlag : uint8_t {
  kPaymentPlan = 1 << 0,
  kActive = 1 << 1,
  kHasRepresentative = 1 << 2,
  kHasContactPerson = 1 << 3,
};
// Reachability bits of the addressee after routing.
enum Reach : uint8_t { kReachPost = 1 << 0, kReachPhone = 1 << 1, kReachEmail = 1 << 2 };

struct ColumnarSnapshot {
  int64_t version = 0;  // the snapshot version it was built from
  uint32_t size() const { return static_cast<uint32_t>(bsn.size()); }

  // Customers, ascending BSN.
  std::vector<int32_t> bsn;
  std::vector<uint8_t> regulation;     // Regulation number
  std::vector<uint16_t> municipality;  // index into municipality_numbers
  std::vector<int64_t> debt_cents;
  std::vector<uint8_t> flags;             // CustomerFlag bits
  std::vector<uint8_t> routing;           // Routing number
  std::vector<uint8_t> reach;             // Reach bits of the addressee
  std::vector<int32_t> birth_ymd;         // year * 10000 + month * 100 + day: age bounds compare exactly
  std::vector<DayNumber> inactive_since;  // 0 while active
  // The relation (relation_seq) letters go to; -1: the customer.
  std::vector<int64_t> addressee_relation;

  std::vector<int> municipality_numbers;  // distinct CBS numbers, ascending

  // Planned mailings per customer: rows mailing_offset[i] .. mailing_offset[i+1].
  std::vector<uint32_t> mailing_offset;
  std::vector<DayNumber> mailing_day;
  std::vector<uint8_t> mailing_type;

  // Contact reports per customer, by day ascending within a customer.
  std::vector<uint32_t> contact_offset;
  std::vector<DayNumber> contact_day;
  std::vector<uint8_t> contact_channel;     // ContactChannel number | 0x80 when reached
  std::vector<uint32_t> contact_topic;      // index into contact_topics
  std::vector<std::string> contact_topics;  // the distinct topics, as imported (exact text)

  // Row of a BSN, or nullopt.
  std::optional<uint32_t> RowOf(int32_t bsn_value) const;
  // The bytes its columns hold (their capacity): what a replica keeps in memory per snapshot
  // (logged with every build; scripts/bench.sh scale shows it per customer).
  int64_t MemoryBytes() const;
  // Index of a CBS municipality number in municipality_numbers, or nullopt.
  std::optional<uint16_t> MunicipalityIndex(int number) const;
};

// Builds a ColumnarSnapshot from rows in any order (the loader streams them out of COPY).
//
// The four kinds of rows may arrive on four threads at once (one thread per kind: each Add*
// kind touches only its own buffers). Once the customers are in, FinishCustomers() lays them
// out; after it, FinishRelations(), FinishMailings() and FinishContacts() may run at once on
// different threads (they write disjoint columns), each as soon as its rows are in. Build()
// does it all in order on one thread.
class ColumnarBuilder {
 public:
  struct CustomerRow {
    int32_t bsn = 0;
    uint8_t regulation = 0;
    int municipality = 0;  // CBS number
    int64_t debt_cents = 0;
    bool payment_plan = false, active = true;
    int32_t birth_ymd = 0;  // yyyymmdd
    DayNumber inactive_since = 0;
    bool has_address = false, has_phone = false, has_email = false;
  };
  struct RelationRow {
    int64_t seq = 0;
    int32_t customer_bsn = 0;
    uint8_t kind = 0;     // RelationKind
    uint8_t routing = 0;  // RoutingPreference
    bool has_address = false, has_phone = false, has_email = false;
  };

  explicit ColumnarBuilder(int64_t version) { snapshot_.version = version; }

  // Row counts expected (e.g. the imports' rows_loaded), so the buffers grow once.
  void Reserve(size_t customers, size_t relations, size_t mailings, size_t contacts);

  void AddCustomer(const CustomerRow& row) { customers_.push_back(row); }
  void AddRelation(const RelationRow& row) { relations_.push_back(row); }
  // Rows whose customer is unknown are ignored (they were checked at import; a purge may
  // since have removed the customer).
  void AddMailing(int32_t customer_bsn, uint8_t type, DayNumber day) { mailings_.push_back({customer_bsn, day, type}); }
  void AddContact(int32_t customer_bsn, uint8_t channel, bool reached, DayNumber day, std::string_view topic = {}) {
    contacts_.push_back({customer_bsn, day, static_cast<uint8_t>(channel | (reached ? 0x80 : 0)), TopicIndex(topic)});
  }

  // Sorts the customers by BSN and lays out their columns.
  void FinishCustomers();
  // Routing (DESIGN.md 4.5: legal representative, else a contact person with routing
  // RELATION, else the customer; the first in import order).
  void FinishRelations();
  // The events in CSR layout per customer (contacts by day).
  void FinishMailings();
  void FinishContacts();
  // The snapshot, once every Finish* ran.
  ColumnarSnapshot Take() &&;

  // All of the above in order.
  ColumnarSnapshot Build() &&;

 private:
  struct Event {
    int32_t bsn;
    DayNumber day;
    uint8_t code;
    uint32_t topic = 0;  // contacts: index into snapshot_.contact_topics
  };
  static constexpr uint32_t kNoRow = ~uint32_t{0};
  uint32_t TopicIndex(std::string_view topic);
  // Row of a BSN through the bucket index (after FinishCustomers), or kNoRow.
  uint32_t FindRow(int32_t bsn) const;
  void LayoutEvents(std::vector<Event>& events, std::vector<uint32_t>& offset, std::vector<DayNumber>& day,
                    std::vector<uint8_t>& code, std::vector<uint32_t>* topic) const;

  ColumnarSnapshot snapshot_;
  absl::flat_hash_map<std::string, uint32_t> topic_index_;
  std::vector<CustomerRow> customers_;
  std::vector<RelationRow> relations_;
  std::vector<Event> mailings_, contacts_;
  // bucket_[b] .. bucket_[b + 1]: the rows whose BSN >> bucket_shift_ is b.
  std::vector<uint32_t> bucket_;
  int bucket_shift_ = 0;
};

}  // namespace cak::analysis::domain
