// voorlichting-cli `flow`, step 9 of processing record M7624 (see flow_run.h): the simulated
// customers contact CAK (more often when the message reached them), written as a new
// contact-report extract and imported into analysis-svc (on the campaign's response topics or
// others); campaign-svc has the response measured per group against its control group, on the
// campaign's topics, kept in analysis-svc and shown on the campaign; printed as a table and by
// topic (the summary prints the table again); measured again, it reproduces; then the orders
// complete, the campaign completes and the KCC portal sees its signal closed with feedback.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/flow/flow_run.h"
#include "cli/output.h"
#include "common/base/contact_topics.h"
#include "common/base/csv.h"

namespace cak::cli::flow {

namespace {

std::string Percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", share * 100);
  return buf;
}

std::string Points(double diff) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f", diff * 100);
  return buf;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The customers respond: a new customer-contact extract, imported into analysis-svc.

bool FlowRun::CustomersRespond() {
  Step(9, "Klanten reageren: simulated customer contacts since this morning, imported as a new contact-report extract");
  const std::filesystem::path original = std::filesystem::path(import_dir_) / "contact_reports.csv";
  std::ifstream in(original, std::ios::binary);
  if (!Expect(static_cast<bool>(in), absl::StrCat("cannot read ", original.string()))) return false;
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  if (!text.empty() && text.back() != '\n') text.push_back('\n');

  // Contacts happen between the start of today (in both CAK's zone and UTC) and now.
  const absl::Time now = absl::Now();
  const absl::Time start = std::max(absl::FromCivil(today_, zone_),
                                    absl::FromCivil(absl::ToCivilDay(now, absl::UTCTimeZone()), absl::UTCTimeZone()));
  const int64_t span = std::max<int64_t>(1, absl::ToInt64Seconds(now - start) - 2);
  std::uniform_real_distribution<double> u(0, 1);
  std::uniform_int_distribution<int64_t> second(0, span - 1);
  // Topics: who got the message mostly asks about it (a response topic); everyone else
  // contacts CAK about anything, invoice questions included (the noise the control measures).
  std::vector<std::string_view> other_topics;
  for (std::string_view t : common::ContactTopics()) {
    if (std::find(std::begin(kResponseTopics), std::end(kResponseTopics), t) == std::end(kResponseTopics)) {
      other_topics.push_back(t);
    }
  }
  std::uniform_int_distribution<size_t> response_topic(0, std::size(kResponseTopics) - 1);
  std::uniform_int_distribution<size_t> other_topic(0, other_topics.size() - 1);
  std::map<std::string, int64_t> by_channel;
  std::map<std::string_view, int64_t> by_topic;
  int64_t delivered_count = 0;
  for (const Customer& c : customers_) {
    const bool delivered = delivered_.count(c.customer_number) > 0;
    delivered_count += delivered;
    if (u(rng_) >= (delivered ? 0.35 : 0.08)) continue;
    const double x = u(rng_);
    const char* channel = x < 0.55 ? "PHONE" : x < 0.85 ? "WEBSITE" : "EMAIL";
    const std::string_view topic = u(rng_) < (delivered ? 0.85 : 0.3)
                                       ? std::string_view(kResponseTopics[response_topic(rng_)])
                                       : other_topics[other_topic(rng_)];
    ++by_topic[topic];
    const absl::Time when = start + absl::Seconds(second(rng_));
    absl::StrAppend(&text, c.bsn, ",", channel, ",");
    common::AppendCsvField(absl::string_view(topic.data(), topic.size()), &text);
    absl::StrAppend(&text, ",", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", when, absl::UTCTimeZone()), ",",
                    u(rng_) < 0.9 ? "true" : "false", "\n");
    ++responses_;
    delivered_responses_ += delivered;
    ++by_channel[channel];
  }
  contact_file_ = absl::StrCat("contact_reports-", stamp_, ".csv");
  const std::filesystem::path target = std::filesystem::path(import_dir_) / contact_file_;
  const std::filesystem::path tmp = std::filesystem::path(import_dir_) / (".tmp-" + contact_file_);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!Expect(static_cast<bool>(out), absl::StrCat("cannot write ", tmp.string()))) return false;
  }
  std::filesystem::rename(tmp, target);
  const int64_t others = static_cast<int64_t>(customers_.size()) - delivered_count;
  std::printf("  %s customers received the message; %s of them contacted CAK (%s)\n",
              Thousands(delivered_count).c_str(), Thousands(delivered_responses_).c_str(),
              Percent(delivered_count ? static_cast<double>(delivered_responses_) / delivered_count : 0).c_str());
  std::printf("  %s other customers (control groups, undelivered, everyone else): %s contacted CAK (%s)\n",
              Thousands(others).c_str(), Thousands(responses_ - delivered_responses_).c_str(),
              Percent(others ? static_cast<double>(responses_ - delivered_responses_) / others : 0).c_str());
  std::vector<std::string> mix;
  for (const auto& [ch, n] : by_channel) mix.push_back(absl::StrCat(ch, " ", Thousands(n)));
  std::printf("  %s new contact reports (%s) + the original extract -> %s\n", Thousands(responses_).c_str(),
              absl::StrJoin(mix, ", ").c_str(), target.string().c_str());
  std::vector<std::string> topics;
  for (const char* t : kResponseTopics) topics.push_back(absl::StrCat("\"", t, "\" ", Thousands(by_topic[t])));
  int64_t on_response_topics = 0;
  for (const char* t : kResponseTopics) on_response_topics += by_topic[t];
  std::printf("  on the campaign's response topics: %s; on %zu other topics: %s\n", absl::StrJoin(topics, ", ").c_str(),
              other_topics.size(), Thousands(responses_ - on_response_topics).c_str());

  apb::ImportFileRequest req;
  req.set_dataset(apb::DATASET_CONTACT_REPORTS);
  req.set_path(contact_file_);
  req.mutable_options()->set_source(contact_file_);
  req.mutable_options()->set_request_id(stamp_ + "-import-responses");
  apb::ImportReport report;
  if (!Ok(analysis_->ImportFile(As(admin_).get(), req, &report), "ImportFile (contact reports)")) return false;
  imported_["contact_reports (new)"] = report.rows_loaded();
  std::printf("  imported: %s rows read, %s loaded, %s rejected -> snapshot %lld\n",
              Thousands(report.rows_read()).c_str(), Thousands(report.rows_loaded()).c_str(),
              Thousands(report.rows_rejected()).c_str(), static_cast<long long>(report.snapshot_version()));
  return Expect(report.rows_rejected() == 0, "some simulated contact reports were rejected");
}

// ---------------------------------------------------------------------------------------------
// Step 9: response measurement, then the campaign completes and the reporter hears back.

void FlowRun::PrintResponseTable() const {
  std::printf("  %-28s %-15s %9s %9s %7s %8s %7s  %s\n", "group", "channel", "contacted", "responded", "rate",
              "control", "ctl", "difference in points (95% CI)");
  for (const auto& g : measurement_.groups()) {
    std::string diff = "-";
    if (g.has_difference()) {
      diff = absl::StrCat(Points(g.difference()), " (", Points(g.difference_ci_low()), " .. ",
                          Points(g.difference_ci_high()), ")");
    }
    std::printf("  %-28s %-15s %9s %9s %7s %8s %7s  %s\n", g.group().c_str(),
                Short(apb::ActionChannel_Name(g.channel()), "ACTION_CHANNEL_").c_str(),
                Thousands(g.contacted()).c_str(), Thousands(g.response().numerator()).c_str(),
                Percent(g.response().rate()).c_str(), Thousands(g.control_response().denominator()).c_str(),
                Percent(g.control_response().rate()).c_str(), diff.c_str());
  }
  std::printf("  %-28s %-15s %9s %9s %7s %8s %7s\n", "total", "",
              Thousands(measurement_.total_response().denominator()).c_str(),
              Thousands(measurement_.total_response().numerator()).c_str(),
              Percent(measurement_.total_response().rate()).c_str(),
              Thousands(measurement_.total_control_response().denominator()).c_str(),
              Percent(measurement_.total_control_response().rate()).c_str());
}

bool FlowRun::MeasureAndClose() {
  Step(10,
       "Stap 9 Responsmeting: the lists matched with the contact reports on the campaign's topics and the "
       "executors' outcomes, kept");
  // campaign-svc measures the campaign (its groups' lists, orders, send dates and response
  // topics); analysis-svc keeps the measurement and the campaign shows it as its latest.
  cpb::MeasureCampaignResponseRequest req;
  req.set_campaign(campaign_.name());
  req.set_sample_seed(seed_);
  const auto measure = [&](apb::ResponseMeasurement* out) {
    if (!Ok(campaigns_->MeasureCampaignResponse(As(analyst_).get(), req, &campaign_), "MeasureCampaignResponse")) {
      return false;
    }
    if (!Expect(campaign_.has_latest_response(), "the campaign does not show its latest measurement")) return false;
    apb::GetResponseMeasurementRequest get;
    get.set_name(campaign_.latest_response().response_measurement());
    return Ok(analysis_->GetResponseMeasurement(As(analyst_).get(), get, out), "GetResponseMeasurement");
  };
  if (!measure(&measurement_)) return false;
  std::printf("  %s, kept: measured by %s on snapshot %lld (contact reports version %lld), until %s\n",
              measurement_.name().c_str(), measurement_.measured_by().c_str(),
              static_cast<long long>(measurement_.snapshot_version()),
              static_cast<long long>(measurement_.contact_reports_version()), Day(measurement_.end_date()).c_str());
  std::printf("  a response is a contact on: %s\n", absl::StrJoin(measurement_.response_topics(), ", ").c_str());
  const cpb::ResponseSummary& latest = campaign_.latest_response();
  std::printf("  %s shows it as its latest: %s of %s responded (%s), control %s of %s (%s)\n", campaign_.name().c_str(),
              Thousands(latest.responders()).c_str(), Thousands(latest.members()).c_str(),
              Percent(latest.response_rate()).c_str(), Thousands(latest.control_responders()).c_str(),
              Thousands(latest.control_members()).c_str(), Percent(latest.control_rate()).c_str());
  PrintResponseTable();
  for (const auto& g : measurement_.groups()) {
    std::vector<std::string> channels, outcomes;
    for (const auto& c : g.by_channel()) {
      if (c.responders() > 0) {
        channels.push_back(absl::StrCat(Short(apb::ContactChannel_Name(c.channel()), "CONTACT_CHANNEL_"), " ",
                                        Thousands(c.responders()), " (", Percent(c.rate()), ")"));
      }
    }
    for (const auto& o : g.outcomes()) outcomes.push_back(absl::StrCat(o.outcome(), " ", Thousands(o.count())));
    std::printf("  %s\n", g.group().c_str());
    for (const auto& t : g.by_topic()) {
      std::printf("    topic %-24s %6s responded (%s), control %s\n", absl::StrCat("\"", t.topic(), "\"").c_str(),
                  Thousands(t.responders()).c_str(), Percent(t.rate()).c_str(), Percent(t.control_rate()).c_str());
    }
    std::printf("    by channel: %s\n    executor outcomes: %s; response when delivered %s of %s\n",
                channels.empty() ? "-" : absl::StrJoin(channels, ", ").c_str(),
                outcomes.empty() ? "-" : absl::StrJoin(outcomes, ", ").c_str(),
                Percent(g.response_when_delivered().rate()).c_str(),
                Thousands(g.response_when_delivered().denominator()).c_str());
  }
  if (!Expect(measurement_.groups_size() == static_cast<int>(orders_.size()), "MeasureResponse left groups out")) {
    return false;
  }
  for (const auto& g : measurement_.groups()) {
    if (!Expect(g.by_topic_size() == static_cast<int>(std::size(kResponseTopics)),
                absl::StrCat("'", g.group(), "' has the response of ", g.by_topic_size(), " topics, not of the ",
                             std::size(kResponseTopics), " the campaign names"))) {
      return false;
    }
  }
  // Reproducible: measured again with the same parameters on the same snapshot, the same figures.
  apb::ResponseMeasurement again;
  if (!measure(&again)) return false;
  bool same =
      again.name() != measurement_.name() && again.groups_size() == measurement_.groups_size() &&
      again.total_response().SerializeAsString() == measurement_.total_response().SerializeAsString() &&
      again.total_control_response().SerializeAsString() == measurement_.total_control_response().SerializeAsString();
  for (int i = 0; same && i < again.groups_size(); ++i) {
    same = again.groups(i).SerializeAsString() == measurement_.groups(i).SerializeAsString();
  }
  if (!Expect(same, absl::StrCat(again.name(), " does not reproduce ", measurement_.name()))) return false;
  apb::ListResponseMeasurementsRequest list;
  list.set_campaign(campaign_.name());
  apb::ListResponseMeasurementsResponse kept;
  if (!Ok(analysis_->ListResponseMeasurements(As(analyst_).get(), list, &kept), "ListResponseMeasurements")) {
    return false;
  }
  std::vector<std::string> names;
  for (const auto& m : kept.response_measurements()) names.push_back(m.name());
  if (!Expect(names.size() == 2 && names[0] == again.name(),
              absl::StrCat("the campaign's measurements are ", absl::StrJoin(names, ", ")))) {
    return false;
  }
  std::printf("  measured again: %s, the same figures; the campaign's measurements, newest first: %s\n",
              again.name().c_str(), absl::StrJoin(names, ", ").c_str());
  for (const auto& g : measurement_.groups()) {
    for (const OrderRun& run : orders_) {
      if (run.group == g.group() &&
          !Expect(g.contacted() == run.recipients,
                  absl::StrCat("'", g.group(), "': ", g.contacted(), " measured, ", run.recipients, " recipients"))) {
        return false;
      }
    }
  }

  // Every batch is acknowledged, so every order completes; then the campaign does.
  for (const OrderRun& run : orders_) {
    if (!PollUntil(absl::Seconds(30), absl::StrCat(run.order, " COMPLETED"), [&]() -> std::optional<bool> {
          dpb::GetDispatchOrderRequest get;
          get.set_name(run.order);
          dpb::DispatchOrder order;
          if (!Ok(dispatch_->GetDispatchOrder(As(designer_).get(), get, &order), "GetDispatchOrder")) return false;
          if (order.state() == dpb::ORDER_STATE_COMPLETED) return true;
          return std::nullopt;
        })) {
      return false;
    }
  }
  close_feedback_ = absl::StrCat(
      "Dank voor uw melding. De factuur eigen bijdrage Wlz van november was te hoog. Wij hebben ",
      Thousands(measurement_.total_response().denominator()),
      " klanten geïnformeerd per brief, telefoon of een notitie in hun dossier. Zij krijgen een nieuwe factuur.");
  cpb::CompleteCampaignRequest complete;
  complete.set_campaign(campaign_.name());
  complete.set_feedback(close_feedback_);
  if (!Ok(campaigns_->CompleteCampaign(As(designer_).get(), complete, &campaign_), "CompleteCampaign")) return false;
  std::printf("  %s: %s by %s\n", campaign_.name().c_str(),
              Short(cpb::CampaignState_Name(campaign_.state()), "CAMPAIGN_STATE_").c_str(), designer_.id.c_str());
  ipb::Signal closed;
  if (!PollUntil(absl::Seconds(30), "signal CLOSED", [&]() -> std::optional<bool> {
        ipb::GetSignalRequest get;
        get.set_name(signal_);
        if (!Ok(intake_->GetSignal(As(kcc_portal_).get(), get, &closed), "GetSignal")) return false;
        if (closed.state() == ipb::SIGNAL_STATE_CLOSED) return true;
        return std::nullopt;
      })) {
    return false;
  }
  std::printf("  the KCC portal sees %s: %s\n    feedback: \"%s\"\n", signal_.c_str(),
              Short(ipb::SignalState_Name(closed.state()), "SIGNAL_STATE_").c_str(), closed.feedback().c_str());
  return Expect(closed.feedback() == close_feedback_, "the closed signal does not carry the campaign's feedback");
}

}  // namespace cak::cli::flow
