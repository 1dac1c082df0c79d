// In-memory fakes of analysis-svc's repositories and outcome source (see
// fake_analysis_repository.h).
#include "analysis-svc/test/fake_analysis_repository.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "analysis-svc/src/domain/analysis_service.h"
#include "common/base/errors.h"
#include "common/base/random.h"
#include "common/base/synthetic.h"

namespace cak::analysis::testing {

namespace {

absl::Status NotFound(const char* reason, const char* what) {
  return common::MakeError(absl::StatusCode::kNotFound, reason, absl::StrCat("no such ", what));
}

absl::Status Unimplemented(absl::string_view method) {
  return absl::UnimplementedError(absl::StrCat("fake: ", method));
}

}  // namespace

std::vector<int32_t> SyntheticCustomerBsns(uint64_t seed, int count) {
  std::vector<int32_t> out;
  for (const common::Bsn& b : common::SyntheticBsns(seed, count)) out.push_back(std::stoi(b.digits()));
  std::sort(out.begin(), out.end());
  return out;
}

domain::ColumnarBuilder::CustomerRow SyntheticCustomer(int32_t bsn, domain::Regulation regulation, int municipality,
                                                       int32_t birth_ymd) {
  domain::ColumnarBuilder::CustomerRow c;
  c.bsn = bsn;
  c.regulation = static_cast<uint8_t>(regulation);
  c.municipality = municipality;
  c.birth_ymd = birth_ymd;
  c.has_address = true;
  return c;
}

// ---------------------------------------------------------------------------------------------
// FakeSnapshotRepository

int64_t FakeSnapshotRepository::Publish(SyntheticDatasets data) {
  std::lock_guard<std::mutex> lock(mu_);
  Published p;
  p.info.version = snapshots_.empty() ? 1 : snapshots_.back().info.version + 1;
  p.info.created_time = clock_->Now();
  const size_t rows[4] = {data.customers.size(), data.relations.size(), data.mailings.size(), data.contacts.size()};
  for (size_t i = 0; i < 4; ++i) {
    if (rows[i] == 0) continue;
    domain::DatasetVersionInfo& d = p.info.datasets[i];
    d.version = ++last_dataset_version_;
    d.row_count = static_cast<int64_t>(rows[i]);
    d.imported_time = p.info.created_time;
    d.source = "fake";
  }
  p.data = std::move(data);
  snapshots_.push_back(std::move(p));
  return snapshots_.back().info.version;
}

int FakeSnapshotRepository::columnar_loads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return columnar_loads_;
}

const FakeSnapshotRepository::Published* FakeSnapshotRepository::Find(int64_t version) const {
  for (const Published& p : snapshots_) {
    if (p.info.version == version) return &p;
  }
  return nullptr;
}

absl::StatusOr<domain::SnapshotInfo> FakeSnapshotRepository::CurrentSnapshot(absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  if (snapshots_.empty()) return domain::SnapshotInfo{};  // version 0: nothing imported yet
  return snapshots_.back().info;
}

absl::StatusOr<std::shared_ptr<const domain::ColumnarSnapshot>> FakeSnapshotRepository::LoadColumnar(
    const domain::SnapshotInfo& snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  const Published* p = Find(snapshot.version);
  if (!p) return absl::InternalError(absl::StrCat("fake: no snapshot ", snapshot.version));
  ++columnar_loads_;
  domain::ColumnarBuilder builder(snapshot.version);
  for (const auto& c : p->data.customers) builder.AddCustomer(c);
  for (const auto& r : p->data.relations) builder.AddRelation(r);
  for (const auto& m : p->data.mailings) {
    builder.AddMailing(m.customer_bsn, static_cast<uint8_t>(m.type), domain::ToDayNumber(m.day));
  }
  for (const auto& c : p->data.contacts) {
    builder.AddContact(c.customer_bsn, static_cast<uint8_t>(c.channel), c.reached, domain::ToDayNumber(c.day));
  }
  return std::make_shared<const domain::ColumnarSnapshot>(std::move(builder).Build());
}

absl::StatusOr<std::shared_ptr<const domain::ColumnarSnapshot>> FakeSnapshotRepository::LoadCustomerKeys(
    const domain::SnapshotInfo& snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  const Published* p = Find(snapshot.version);
  if (!p) return absl::InternalError(absl::StrCat("fake: no snapshot ", snapshot.version));
  domain::ColumnarBuilder builder(snapshot.version);
  for (const auto& c : p->data.customers) {
    domain::ColumnarBuilder::CustomerRow key;
    key.bsn = c.bsn;
    builder.AddCustomer(key);
  }
  return std::make_shared<const domain::ColumnarSnapshot>(std::move(builder).Build());
}

absl::StatusOr<std::unique_ptr<domain::DatasetLoad>> FakeSnapshotRepository::BeginLoad(domain::Dataset,
                                                                                       const std::string&) {
  return Unimplemented("BeginLoad");
}

absl::StatusOr<std::optional<domain::SnapshotRepository::Claimed>> FakeSnapshotRepository::FindClaim(
    const std::string&, const std::string&) {
  return Unimplemented("SnapshotRepository::FindClaim");
}

absl::StatusOr<domain::ImportReport> FakeSnapshotRepository::GetImportReport(int64_t) {
  return Unimplemented("GetImportReport");
}

absl::StatusOr<int> FakeSnapshotRepository::CollectVersions() { return Unimplemented("CollectVersions"); }

// ---------------------------------------------------------------------------------------------
// FakeAnalysisRepository: what tests inspect or arrange

std::vector<LoggedEntry> FakeAnalysisRepository::log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

std::vector<LoggedEntry> FakeAnalysisRepository::LogEntries(absl::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LoggedEntry> out;
  for (const LoggedEntry& e : log_) {
    if (e.record.name == name) out.push_back(e);
  }
  return out;
}

std::vector<std::string> FakeAnalysisRepository::AllSubjects(int64_t entry_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  auto add = [&](int64_t id) {
    for (const LoggedEntry& e : log_) {
      if (e.id == id) out.insert(out.end(), e.subjects.begin(), e.subjects.end());
    }
  };
  add(entry_id);
  for (const LoggedEntry& e : log_) {
    if (e.id != entry_id) continue;
    for (int64_t ref : e.subject_refs) add(ref);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<domain::MemberRef> FakeAnalysisRepository::Members(const std::string& list_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = lists_.find(list_id);
  if (it == lists_.end()) return {};
  return it->second.members;
}

size_t FakeAnalysisRepository::target_group_set_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sets_.size();
}

size_t FakeAnalysisRepository::recipient_list_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lists_.size();
}

void FakeAnalysisRepository::ForgetLogEntry(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  log_.erase(std::remove_if(log_.begin(), log_.end(), [id](const LoggedEntry& e) { return e.id == id; }), log_.end());
}

void FakeAnalysisRepository::RemoveMember(const std::string& list_id, int64_t position) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = lists_.find(list_id);
  if (it == lists_.end() || position < 1 || position > static_cast<int64_t>(it->second.members.size())) return;
  it->second.members[static_cast<size_t>(position - 1)].bsn = 0;
}

void FakeAnalysisRepository::FailNextFreeze(absl::Status failure) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_freeze_ = std::move(failure);
}

void FakeAnalysisRepository::FailNextMemberBsns(const std::string& list_id, absl::Status failure) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_member_bsns_[list_id] = std::move(failure);
}

void FakeAnalysisRepository::FailNextAppendLogWithSubjectRows(absl::Status failure) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_append_with_subject_rows_ = std::move(failure);
}

int64_t FakeAnalysisRepository::AppendLocked(std::string written_by, const common::CallContext& call,
                                             const common::ProcessingRecord& record) {
  LoggedEntry e;
  e.id = ++last_entry_id_;
  e.written_by = std::move(written_by);
  e.actor = call.principal.id;
  e.record = record;
  for (const common::Bsn& b : record.data_subjects) e.subjects.push_back(b.digits());
  e.subject_refs = record.data_subjects_of_entries;
  log_.push_back(std::move(e));
  return last_entry_id_;
}

LoggedEntry* FakeAnalysisRepository::EntryLocked(int64_t id) {
  for (LoggedEntry& e : log_) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

absl::StatusOr<std::optional<std::string>> FakeAnalysisRepository::ClaimLocked(const common::IdempotencyKey& key,
                                                                               const std::string& resource_id,
                                                                               bool claim) {
  const auto id = std::make_pair(key.operation, key.request_id);
  auto it = claims_.find(id);
  if (it == claims_.end()) {
    if (claim) claims_[id] = Claim{key.fingerprint, resource_id};
    return std::optional<std::string>();
  }
  if (it->second.fingerprint != key.fingerprint) {
    return common::InvalidField(common::reason::kRequestIdReused, "request_id",
                                "this request_id was already used for a different request");
  }
  return std::optional<std::string>(it->second.resource_id);
}

// ---------------------------------------------------------------------------------------------
// The objection register

absl::StatusOr<int64_t> FakeAnalysisRepository::ObjectionRegisterVersion(absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  return register_version_;
}

absl::StatusOr<std::vector<domain::ActiveObjection>> FakeAnalysisRepository::ActiveObjections(absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<domain::ActiveObjection> out;
  for (const auto& [bsn, o] : active_objections_) out.push_back({bsn, o.scope});  // ascending BSN
  return out;
}

absl::StatusOr<std::pair<common::ObjectionState, bool>> FakeAnalysisRepository::RecordObjection(
    int32_t bsn, const common::ObjectionState& objection, absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_objections_.find(bsn);
  if (it != active_objections_.end()) return std::make_pair(it->second, false);
  common::ObjectionState stored = objection;
  stored.lift_time.reset();
  stored.lift_reason.clear();
  stored.lifted_by.clear();
  active_objections_[bsn] = stored;
  ++register_version_;
  return std::make_pair(stored, true);
}

absl::StatusOr<std::optional<common::ObjectionState>> FakeAnalysisRepository::LiftObjection(
    int32_t bsn, const common::ObjectionState& lift, absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_objections_.find(bsn);
  if (it == active_objections_.end()) return std::optional<common::ObjectionState>();
  common::ObjectionState lifted = it->second;
  lifted.lift_time = lift.lift_time;
  lifted.lift_reason = lift.lift_reason;
  lifted.lifted_by = lift.lifted_by;
  active_objections_.erase(it);
  lifted_objections_.emplace_back(bsn, lifted);
  ++register_version_;
  return std::optional<common::ObjectionState>(lifted);
}

// ---------------------------------------------------------------------------------------------
// Erasure and retention: not faked

absl::StatusOr<domain::ErasureCounts> FakeAnalysisRepository::EraseCustomer(const common::CallContext&, int32_t,
                                                                            const std::string&, absl::CivilDay, bool,
                                                                            const common::ProcessingRecord&) {
  return Unimplemented("EraseCustomer");
}

absl::StatusOr<absl::flat_hash_map<std::string, domain::Tombstone>> FakeAnalysisRepository::Tombstones(absl::Time) {
  return Unimplemented("Tombstones");
}

absl::StatusOr<std::vector<common::SubjectRemoval>> FakeAnalysisRepository::SubjectRemovals(
    const common::RemovalPosition&, int, absl::Time) {
  return Unimplemented("SubjectRemovals");
}

absl::StatusOr<domain::PurgeCounts> FakeAnalysisRepository::PurgeCustomers(const common::CallContext&, absl::CivilDay,
                                                                           absl::CivilDay, bool,
                                                                           common::ProcessingRecord,
                                                                           const TombstoneKeyOf&) {
  return Unimplemented("PurgeCustomers");
}

// ---------------------------------------------------------------------------------------------
// Target groups and recipient lists

absl::StatusOr<std::optional<std::string>> FakeAnalysisRepository::FindClaim(const common::IdempotencyKey& key,
                                                                             absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  return ClaimLocked(key, "", /*claim=*/false);
}

absl::StatusOr<domain::TargetGroupSetRecord> FakeAnalysisRepository::CreateTargetGroupSet(
    const common::CallContext& call, const domain::TargetGroupSetRecord& set, const common::IdempotencyKey* key,
    const common::ProcessingRecord& record, bool* replayed) {
  std::lock_guard<std::mutex> lock(mu_);
  // One "transaction": the claim, the set and its log entry, or nothing.
  if (key) {
    CAK_ASSIGN_OR_RETURN(std::optional<std::string> existing, ClaimLocked(*key, set.id, /*claim=*/true));
    if (existing) {
      *replayed = true;
      auto it = sets_.find(*existing);
      if (it == sets_.end()) return NotFound(domain::reason::kTargetGroupSetNotFound, "target group set");
      return it->second;
    }
  }
  sets_[set.id] = set;
  AppendLocked("CreateTargetGroupSet", call, record);
  *replayed = false;
  return set;
}

absl::StatusOr<domain::TargetGroupSetRecord> FakeAnalysisRepository::GetTargetGroupSet(const std::string& id,
                                                                                       absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sets_.find(id);
  if (it == sets_.end()) return NotFound(domain::reason::kTargetGroupSetNotFound, "target group set");
  return it->second;
}

absl::StatusOr<domain::RecipientListRecord> FakeAnalysisRepository::FreezeRecipientList(
    const common::CallContext& call, const domain::RecipientListRecord& list, const domain::SnapshotInfo&,
    const std::vector<domain::MemberRef>& members, const domain::RecipientListRecord* control,
    const std::vector<domain::MemberRef>& control_members, const common::IdempotencyKey* key,
    const common::ProcessingRecord& record, bool* replayed) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fail_next_freeze_) {  // the transaction rolls back: no claim, no lists, no entry
    const absl::Status failure = *fail_next_freeze_;
    fail_next_freeze_.reset();
    return failure;
  }
  if (list.member_count != static_cast<int64_t>(members.size())) {
    return absl::InternalError("fake: member_count is not the number of members");
  }
  if (control) {
    if (control->control_of != list.id || list.control_list != control->id ||
        control->member_count != static_cast<int64_t>(control_members.size())) {
      return absl::InternalError("fake: the control list and its list do not name each other, or its count is off");
    }
  } else if (!list.control_list.empty() || !control_members.empty()) {
    return absl::InternalError("fake: control members or a control_list without a control list");
  }
  if (key) {
    CAK_ASSIGN_OR_RETURN(std::optional<std::string> existing, ClaimLocked(*key, list.id, /*claim=*/true));
    if (existing) {
      *replayed = true;
      return GetListLocked(*existing);
    }
  }
  // The entry first: both lists name it; its subjects are the members of both.
  const int64_t entry = AppendLocked("FreezeRecipientList", call, record);
  LoggedEntry* logged = EntryLocked(entry);
  for (const auto* part : {&members, &control_members}) {
    for (const domain::MemberRef& m : *part) logged->subjects.push_back(domain::FormatBsn(m.bsn));
  }
  StoredList stored{list, members};
  stored.record.log_entry_id = entry;
  lists_[list.id] = stored;
  if (control) {
    StoredList held{*control, control_members};
    held.record.log_entry_id = entry;
    lists_[control->id] = std::move(held);
  }
  *replayed = false;
  return stored.record;
}

absl::StatusOr<domain::RecipientListRecord> FakeAnalysisRepository::GetListLocked(const std::string& id) const {
  auto it = lists_.find(id);
  if (it == lists_.end()) return NotFound(domain::reason::kRecipientListNotFound, "recipient list");
  domain::RecipientListRecord out = it->second.record;
  // As the PostgreSQL read: 0 once the log's purge took the entry.
  const bool logged =
      std::any_of(log_.begin(), log_.end(), [&](const LoggedEntry& e) { return e.id == out.log_entry_id; });
  if (!logged) out.log_entry_id = 0;
  return out;
}

absl::StatusOr<domain::RecipientListRecord> FakeAnalysisRepository::GetRecipientList(const std::string& id,
                                                                                     absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  return GetListLocked(id);
}

absl::Status FakeAnalysisRepository::StreamMembers(
    const std::string&, int64_t, int64_t, int, const std::function<absl::Status(std::vector<domain::RecipientRow>&)>&) {
  return Unimplemented("StreamMembers");
}

absl::StatusOr<std::vector<int32_t>> FakeAnalysisRepository::MemberBsns(const std::string& list_id,
                                                                        int64_t member_count, absl::Time) {
  // As the PostgreSQL read: NOT_FOUND only for an id that cannot be a list; an unknown list
  // has no members (zeros).
  if (!common::IsUuid(list_id)) return NotFound(domain::reason::kRecipientListNotFound, "recipient list");
  std::lock_guard<std::mutex> lock(mu_);
  if (auto failing = fail_next_member_bsns_.find(list_id); failing != fail_next_member_bsns_.end()) {
    const absl::Status failure = failing->second;
    fail_next_member_bsns_.erase(failing);
    return failure;
  }
  std::vector<int32_t> bsns(static_cast<size_t>(std::max<int64_t>(member_count, 0)), 0);
  auto it = lists_.find(list_id);
  if (it == lists_.end()) return bsns;
  const std::vector<domain::MemberRef>& members = it->second.members;
  for (size_t i = 0; i < members.size() && i < bsns.size(); ++i) bsns[i] = members[i].bsn;
  return bsns;
}

absl::StatusOr<std::vector<domain::CustomerDetails>> FakeAnalysisRepository::CustomerDetailsOf(
    const domain::SnapshotInfo&, const std::vector<int32_t>&, absl::Time) {
  return Unimplemented("CustomerDetailsOf");
}

absl::Status FakeAnalysisRepository::SaveSample(const common::CallContext&, const domain::SampleRecord&,
                                                const common::ProcessingRecord&) {
  return Unimplemented("SaveSample");
}

absl::StatusOr<domain::SubjectRows> FakeAnalysisRepository::SubjectRowsOf(const domain::SnapshotInfo&, int32_t,
                                                                          absl::Time) {
  return Unimplemented("SubjectRowsOf");
}

// ---------------------------------------------------------------------------------------------
// The processing log

absl::Status FakeAnalysisRepository::AppendLog(const common::CallContext& call,
                                               const common::ProcessingRecord& record) {
  if (!record.data_subjects_of_entries.empty()) {
    return absl::InternalError("fake: AppendLog takes no subject references (AppendLogWithSubjectRows does)");
  }
  std::lock_guard<std::mutex> lock(mu_);
  AppendLocked("AppendLog", call, record);
  return absl::OkStatus();
}

absl::Status FakeAnalysisRepository::AppendLogWithSubjectRows(const common::CallContext& call,
                                                              const common::ProcessingRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fail_next_append_with_subject_rows_) {  // the transaction rolls back: no entry
    const absl::Status failure = *fail_next_append_with_subject_rows_;
    fail_next_append_with_subject_rows_.reset();
    return failure;
  }
  for (int64_t ref : record.data_subjects_of_entries) {
    if (!EntryLocked(ref)) return absl::InternalError(absl::StrCat("fake: no log entry ", ref, " to refer to"));
  }
  AppendLocked("AppendLogWithSubjectRows", call, record);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> FakeAnalysisRepository::StartDisclosure(const common::CallContext& call,
                                                                const common::ProcessingRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);
  return AppendLocked("StartDisclosure", call, record);
}

absl::Status FakeAnalysisRepository::LogDisclosed(int64_t entry_id, const std::vector<common::Bsn>& subjects,
                                                  absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  LoggedEntry* e = EntryLocked(entry_id);
  if (!e) return absl::InternalError(absl::StrCat("fake: no log entry ", entry_id));
  for (const common::Bsn& b : subjects) e->subjects.push_back(b.digits());
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// FakeOutcomeSource

void FakeOutcomeSource::Add(const std::string& order_id, const std::string& list_id, int64_t position,
                            domain::DeliveryOutcome outcome, absl::Time outcome_time) {
  std::lock_guard<std::mutex> lock(mu_);
  by_order_[order_id].push_back(
      domain::PositionOutcome{list_id, position, static_cast<uint8_t>(outcome), outcome_time});
}

void FakeOutcomeSource::SetUnavailable(bool unavailable) {
  std::lock_guard<std::mutex> lock(mu_);
  unavailable_ = unavailable;
}

std::vector<std::string> FakeOutcomeSource::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

absl::StatusOr<std::vector<domain::PositionOutcome>> FakeOutcomeSource::OrderOutcomes(const common::CallContext&,
                                                                                      const std::string& order_id) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(order_id);
  if (unavailable_) {
    return common::MakeError(absl::StatusCode::kUnavailable, domain::reason::kDispatchUnavailable,
                             "fake: dispatch-svc does not answer");
  }
  auto it = by_order_.find(order_id);
  if (it == by_order_.end()) {
    return common::MakeError(absl::StatusCode::kNotFound, "DISPATCH_ORDER_NOT_FOUND", "dispatch order not found");
  }
  return it->second;
}

}  // namespace cak::analysis::testing
