// What an executor receives, byte for byte (formats documented in dispatch-svc/README.md):
// - which fields of a recipient each channel keeps (data minimisation, DESIGN.md 4.4):
//   letters the routed name and postal address, calls the names and phone number, contact
//   moments the customer number; never a BSN, IBAN, debt or care data (analysis-svc does not
//   even send those);
// - the rendered message per item;
// - the data file: CSV (RFC 4180, UTF-8, header line, CRLF line ends) for repro and KCC,
//   JSON Lines for dataverkeer;
// - the manifest (JSON) that comes with every data file.
// Pure functions: the same batch always renders to the same bytes.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/base/data_subject_hasher.h"
#include "common/base/message_template.h"
#include "dispatch-svc/src/domain/model.h"

namespace cak::dispatch::domain {

// The item `recipient` becomes on `channel`: only that channel's fields.
// `keep_customer_number`: the message quotes {klantnummer} (always kept for contact moments,
// whose files carry it as a field).
Item ToItem(Recipient&& recipient, Channel channel, bool keep_customer_number = false);

// The pseudonymous id of the person an item went to when that is not the customer
// ("REPRESENTATIVE:<hmac>" of name and address), or "" when the customer received it. For the
// processing log's addressee (DESIGN.md 4.5).
std::string AddresseeId(const Item& item, Channel channel, const common::DataSubjectHasher& hasher);

// The per-order part of rendering: the parsed template and the order-wide values.
class ItemRenderer {
 public:
  // `message` must have been validated for the order's channel (ValidateOrder does).
  ItemRenderer(const Order& order, common::MessageTemplate message, absl::CivilDay batch_day);

  // The message text for `item`.
  void RenderText(const Item& item, std::string* out) const;
  // The item's line of the data file (without the line end), text included.
  void AppendFileLine(const Item& item, std::string* out) const;

  Channel channel() const { return channel_; }
  // Whether the text quotes the customer number (items keep it only then, but for contact moments).
  bool QuotesCustomerNumber() const { return message_.Uses(common::Placeholder::kKlantnummer); }
  const std::string& contact_moment_code() const { return contact_moment_code_; }

 private:
  Channel channel_;
  common::MessageTemplate message_;
  std::string date_, amount_, reference_, contact_moment_code_;
  mutable std::string text_;  // scratch (one renderer per thread)
};

// The header line (CSV) or "" (JSON Lines), with its line end.
std::string FileHeader(Channel channel);
// "\r\n" for CSV, "\n" for JSON Lines.
absl::string_view LineEnd(Channel channel);
// "csv" or "jsonl".
const char* FileExtension(Channel channel);

// "<executor>/<order>/batch-00001.<ext>" and ".manifest.json" beside it.
std::string DataFileName(const Batch& batch, Channel channel);
std::string ManifestFileName(const Batch& batch);

struct ManifestInfo {
  const Order* order;
  const Batch* batch;
  const Executor* executor;
  int64_t item_count = 0;
  int64_t bytes = 0;
  std::string sha256;
  absl::Time create_time;
};
std::string ManifestJson(const ManifestInfo& m);

}  // namespace cak::dispatch::domain
