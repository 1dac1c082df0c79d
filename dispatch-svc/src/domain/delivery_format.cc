// Delivery formats (see delivery_format.h).
#include "dispatch-svc/src/domain/delivery_format.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/csv.h"
#include "common/base/json_text.h"

namespace cak::dispatch::domain {

namespace {

std::string ValueOr(const std::map<std::string, std::string>& values, const char* key) {
  auto it = values.find(key);
  return it == values.end() ? std::string() : it->second;
}

void AppendHouseNumber(const Item& item, std::string* out) { absl::StrAppend(out, item.house_number); }

}  // namespace

Item ToItem(Recipient&& r, Channel channel, bool keep_customer_number) {
  Item item;
  item.position = r.position;
  item.routing = r.routing;
  // A text may quote the customer number ({klantnummer}: a customer who calls CAK about the
  // letter can give it); then the item keeps it for rendering. Only contact moments carry it as
  // a field of their own; otherwise it is not kept (data minimisation).
  if (keep_customer_number || channel == Channel::kContactMoment) item.customer_number = std::move(r.customer_number);
  switch (channel) {
    case Channel::kLetter:
      item.salutation = r.salutation;
      // The customer's name only goes into the letter text (a letter to a representative says
      // whom it is about); the file's address block names the addressee.
      item.customer_name = std::move(r.customer_name);
      item.addressee_name = std::move(r.addressee_name);
      item.street = std::move(r.street);
      item.house_number = r.house_number;
      item.house_number_suffix = std::move(r.house_number_suffix);
      item.postcode = std::move(r.postcode);
      item.city = std::move(r.city);
      break;
    case Channel::kCall:
      item.salutation = r.salutation;
      item.customer_name = std::move(r.customer_name);
      item.addressee_name = std::move(r.addressee_name);
      item.phone = std::move(r.phone);
      break;
    case Channel::kContactMoment:
      break;
  }
  return item;
}

std::string AddresseeId(const Item& item, Channel channel, const common::DataSubjectHasher& hasher) {
  if (item.routing == Routing::kCustomer || channel == Channel::kContactMoment) return "";
  const char* role = item.routing == Routing::kRepresentative ? "REPRESENTATIVE" : "CONTACT_PERSON";
  // Name and address (letters) or name and phone (calls): who the data went to.
  const std::string who = channel == Channel::kLetter ? absl::StrCat(role, "|", item.addressee_name, "|", item.postcode,
                                                                     "|", item.house_number, item.house_number_suffix)
                                                      : absl::StrCat(role, "|", item.addressee_name, "|", item.phone);
  return absl::StrCat(role, ":", hasher.HashText(who));
}

ItemRenderer::ItemRenderer(const Order& order, common::MessageTemplate message, absl::CivilDay batch_day)
    : channel_(order.channel),
      message_(std::move(message)),
      date_(common::DutchLongDate(batch_day)),
      amount_(ValueOr(order.values, "bedrag")),
      reference_(ValueOr(order.values, "kenmerk")),
      contact_moment_code_(order.contact_moment_code) {}

void ItemRenderer::RenderText(const Item& item, std::string* out) const {
  common::PlaceholderValues v{};
  std::string salutation;
  if (message_.Uses(common::Placeholder::kAanhef)) {
    salutation = common::DutchSalutation(item.salutation, item.routing == Routing::kCustomer, item.addressee_name);
  }
  v[static_cast<int>(common::Placeholder::kAanhef)] = salutation;
  v[static_cast<int>(common::Placeholder::kNaam)] = item.customer_name;
  v[static_cast<int>(common::Placeholder::kNaamGeadresseerde)] = item.addressee_name;
  v[static_cast<int>(common::Placeholder::kKlantnummer)] = item.customer_number;
  v[static_cast<int>(common::Placeholder::kDatum)] = date_;
  v[static_cast<int>(common::Placeholder::kBedrag)] = amount_;
  v[static_cast<int>(common::Placeholder::kKenmerk)] = reference_;
  message_.RenderTo(v, out);
}

void ItemRenderer::AppendFileLine(const Item& item, std::string* out) const {
  text_.clear();
  RenderText(item, &text_);
  switch (channel_) {
    case Channel::kLetter:
      absl::StrAppend(out, item.position, ",");
      common::AppendCsvField(item.addressee_name, out);
      out->push_back(',');
      common::AppendCsvField(item.street, out);
      out->push_back(',');
      AppendHouseNumber(item, out);
      out->push_back(',');
      common::AppendCsvField(item.house_number_suffix, out);
      out->push_back(',');
      common::AppendCsvField(item.postcode, out);
      out->push_back(',');
      common::AppendCsvField(item.city, out);
      out->push_back(',');
      common::AppendCsvField(text_, out);
      break;
    case Channel::kCall:
      absl::StrAppend(out, item.position, ",");
      common::AppendCsvField(item.customer_name, out);
      out->push_back(',');
      common::AppendCsvField(item.addressee_name, out);
      out->push_back(',');
      common::AppendCsvField(item.phone, out);
      out->push_back(',');
      common::AppendCsvField(text_, out);
      break;
    case Channel::kContactMoment:
      out->append(common::JsonText({{"item", item.position},
                                    {"customer_number", item.customer_number},
                                    {"contact_moment_code", contact_moment_code_},
                                    {"text", text_}}));
      break;
  }
}

std::string FileHeader(Channel channel) {
  switch (channel) {
    case Channel::kLetter:
      return "item,addressee_name,street,house_number,house_number_suffix,postcode,city,letter_text\r\n";
    case Channel::kCall:
      return "item,customer_name,addressee_name,phone,script\r\n";
    case Channel::kContactMoment:
      return "";
  }
  return "";
}

absl::string_view LineEnd(Channel channel) { return channel == Channel::kContactMoment ? "\n" : "\r\n"; }

const char* FileExtension(Channel channel) { return channel == Channel::kContactMoment ? "jsonl" : "csv"; }

std::string DataFileName(const Batch& batch, Channel channel) {
  return absl::StrFormat("%s/%s/batch-%05d.%s", batch.executor_id, batch.order_id, batch.batch_no,
                         FileExtension(channel));
}

std::string ManifestFileName(const Batch& batch) {
  return absl::StrFormat("%s/%s/batch-%05d.manifest.json", batch.executor_id, batch.order_id, batch.batch_no);
}

std::string ManifestJson(const ManifestInfo& m) {
  const nlohmann::ordered_json manifest = {
      {"order", absl::StrCat("dispatchOrders/", m.order->id)},
      {"batch", m.batch->batch_no},
      {"executor", m.executor->id},
      {"executor_identity", m.executor->identity},
      {"channel", ChannelName(m.order->channel)},
      {"campaign", m.order->campaign},
      {"planned_date", absl::FormatCivilTime(m.batch->planned_date)},
      {"data_file", DataFileName(*m.batch, m.order->channel)},
      {"format", m.order->channel == Channel::kContactMoment ? "jsonl" : "csv"},
      {"first_item", m.batch->first_position},
      {"last_item", m.batch->last_position},
      {"count", m.item_count},
      {"bytes", m.bytes},
      {"sha256", m.sha256},
      {"message_reference", m.order->template_reference},
      {"guidelines", m.order->guidelines},
      {"create_time", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", m.create_time, absl::UTCTimeZone())}};
  return common::JsonTextIndented(manifest) + "\n";
}

}  // namespace cak::dispatch::domain
