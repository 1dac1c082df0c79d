// The synthetic population generator: a deterministic, realistic-looking CAK customer base in the
// four CSV files analysis-svc imports (customers, relations, mailing schedule, contact reports;
// format in analysis-svc/README.md, "CSV format"). Used by voorlichting-datagen and, in-process,
// by tests and benchmarks.
//
// Everything follows from (customers, seed, reference date): the same options give byte-identical
// files on every platform, and the wall clock is never read. Each customer's values come from
// random streams keyed by (seed, customer index, purpose), so each file can be written on its own
// (in parallel) and still agree with the others: every customer_bsn in relations, mailings and
// contact reports is a customer's BSN. BSNs are distinct and pass the 11-test by construction
// (a keyed permutation of the 8-digit prefixes, each with its check digit), without a set.
//
// Shape (shares approximate): regulation WLZ 35% / WMO 45% / WANBETALERS 15% / ONVERZEKERDEN 5%;
// 8% inactive (inactive_since within 4 years before the reference date); phone 70%, email 50%,
// no postal address 1%; debt 30% (all WANBETALERS), of whom 30% have a payment plan; IBAN 80%;
// 10% have a legal representative (more often WLZ), 5% a contact person (half with routing
// RELATION); about 3 planned mailings (reference date - 30 days .. + 365 days) and 2.5 contact
// reports (the two years before the reference date, weekdays 07:00-16:00 UTC) per customer.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace cak::tools::datagen {

inline constexpr int64_t kSmallCustomers = 10'000;
inline constexpr int64_t kLargeCustomers = 2'000'000;
inline constexpr int64_t kMaxCustomers = 50'000'000;  // well below the ~54.5M BSNs the scheme has

// Where a file's bytes go, in order, in chunks of up to about 1 MiB.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual absl::Status Append(absl::string_view chunk) = 0;
};

// Collects everything in a string (tests, small in-process runs).
class StringSink : public Sink {
 public:
  absl::Status Append(absl::string_view chunk) override;
  const std::string& contents() const { return contents_; }

 private:
  std::string contents_;
};

// Writes to a file, created or truncated. Close() reports errors that only show on closing.
class FileSink : public Sink {
 public:
  static absl::StatusOr<std::unique_ptr<FileSink>> Open(const std::string& path);
  ~FileSink() override;
  absl::Status Append(absl::string_view chunk) override;
  absl::Status Close();

 private:
  FileSink(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
};

enum class CsvFile { kCustomers, kRelations, kMailings, kContactReports };
inline constexpr std::array<CsvFile, 4> kAllFiles = {CsvFile::kCustomers, CsvFile::kRelations, CsvFile::kMailings,
                                                     CsvFile::kContactReports};

// "customers.csv", "relations.csv", "mailings.csv", "contact_reports.csv".
absl::string_view FileName(CsvFile file);
// The header line, without the line end.
absl::string_view Header(CsvFile file);

struct PopulationOptions {
  int64_t customers = kSmallCustomers;
  uint64_t seed = 1;
  absl::CivilDay reference_date = absl::CivilDay(2026, 11, 1);
};

// "small" (10,000), "large" (2,000,000) or a number of customers 1..kMaxCustomers.
absl::StatusOr<int64_t> ParseSize(absl::string_view size);
// YYYY-MM-DD, between 2000-01-01 and 2100-12-31.
absl::StatusOr<absl::CivilDay> ParseReferenceDate(absl::string_view text);

struct FileStats {
  int64_t rows = 0;  // without the header
  int64_t bytes = 0;
};

// Contact reports after a campaign went out (step 9, response measurement), in the
// contact-report format: recipients the message reached contact CAK about it with
// `response_share` (one report, on a response topic, tables.h ResponseTopics(), 90%; the rest
// under another topic), early in the window more than late; independently, every active
// customer - reached, held back or not selected - contacts CAK about something else with
// `other_share` (a topic drawn with the base extract's weights, so a few of these land on a
// response topic too: the noise a topic filter cannot remove, and the control group's rate).
// Times are uniform in [from, until) for other contacts, skewed to the start for responses;
// whole seconds, UTC.
struct FollowUpOptions {
  absl::Time from, until;        // until > from
  double response_share = 0.30;  // of the reached recipients
  double other_share = 0.02;     // of every active customer, in the window
  bool header = true;            // false: rows only (to append to an extract)
};

struct FollowUpStats {
  FileStats file;
  int64_t responses = 0;       // reports of reached recipients about the message
  int64_t other_contacts = 0;  // reports about something else
};

class Population {
 public:
  // INVALID_ARGUMENT when customers or the reference date is out of range. Precomputes the BSNs
  // (4 bytes per customer) and a date table.
  static absl::StatusOr<Population> Create(const PopulationOptions& options);

  Population(Population&&);
  Population& operator=(Population&&);
  ~Population();

  const PopulationOptions& options() const { return options_; }

  // Writes one complete file (header and rows) to `sink`; stops at the sink's first error.
  // Const and thread-safe: the four files may be written concurrently.
  absl::StatusOr<FileStats> Write(CsvFile file, Sink& sink) const;

  // The BSN of customer `index` (0-based, file order) as its 9 digits.
  std::string BsnAt(int64_t index) const;

  // Writes follow-up contact reports (FollowUpOptions) for the recipients whose BSNs (9 digits)
  // are in `reached`; deterministic for the same population, options and set. INVALID_ARGUMENT
  // for until <= from or a share outside [0, 1].
  absl::StatusOr<FollowUpStats> WriteFollowUpContacts(const FollowUpOptions& options,
                                                      const std::vector<std::string>& reached, Sink& sink) const;

 private:
  struct Impl;
  Population(const PopulationOptions& options, std::unique_ptr<Impl> impl);
  PopulationOptions options_;
  std::unique_ptr<Impl> impl_;
};

// Writes the four files into `dir` (created when missing), one thread per file. Each file is
// written as <name>.partial and renamed when complete, so a file under its real name is whole.
absl::StatusOr<std::array<FileStats, 4>> WriteAll(const Population& population, const std::string& dir);

}  // namespace cak::tools::datagen
