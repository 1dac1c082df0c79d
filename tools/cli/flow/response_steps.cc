// voorlichting-cli `flow`, step 9 of processing record M7624 (see flow_run.h): the simulated
// customers contact CAK (more often when the message reached them), written as a new
// contact-report extract and imported into analysis-svc; the response is measured per group
// against its control group and printed as a table (the summary prints it again); then the
// orders complete, the campaign completes and the KCC portal sees its signal closed with feedback.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/flow/flow_run.h"
#include "cli/output.h"

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

apb::ActionChannel MeasuredChannel(cpb::Action a) {
  switch (a) {
    case cpb::ACTION_LETTER:
      return apb::ACTION_CHANNEL_LETTER;
    case cpb::ACTION_CALL:
      return apb::ACTION_CHANNEL_CALL;
    case cpb::ACTION_CONTACT_MOMENT:
      return apb::ACTION_CHANNEL_CONTACT_MOMENT;
    default:
      return apb::ACTION_CHANNEL_UNSPECIFIED;
  }
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
  std::map<std::string, int64_t> by_channel;
  int64_t delivered_count = 0;
  for (const Customer& c : customers_) {
    const bool delivered = delivered_.count(c.customer_number) > 0;
    delivered_count += delivered;
    if (u(rng_) >= (delivered ? 0.35 : 0.08)) continue;
    const double x = u(rng_);
    const char* channel = x < 0.55 ? "PHONE" : x < 0.85 ? "WEBSITE" : "EMAIL";
    const char* topic =
        delivered ? "reactie op brief of bericht over factuur eigen bijdrage" : "vraag over factuur eigen bijdrage";
    const absl::Time when = start + absl::Seconds(second(rng_));
    absl::StrAppend(&text, c.bsn, ",", channel, ",", topic, ",",
                    absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", when, absl::UTCTimeZone()), ",",
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
  Step(10, "Stap 9 Responsmeting: the lists matched with the contact reports and the executors' outcomes");
  apb::MeasureResponseRequest req;
  req.set_campaign(campaign_.name());
  req.set_sample_size(10);
  req.set_sample_seed(seed_);
  for (const auto& g : campaign_.groups()) {
    if (!Contacted(g.action())) continue;
    auto* m = req.add_groups();
    m->set_group(g.group());
    m->set_recipient_list(g.recipient_list());
    m->set_control_list(g.control_list());
    m->set_channel(MeasuredChannel(g.action()));
    m->set_dispatch_order(g.dispatch_order());
    SetDay(today_, m->mutable_send_date());
  }
  if (!Ok(analysis_->MeasureResponse(As(analyst_).get(), req, &measurement_), "MeasureResponse")) return false;
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
    std::printf("  %s\n    by channel: %s\n    executor outcomes: %s; response when delivered %s of %s\n",
                g.group().c_str(), channels.empty() ? "-" : absl::StrJoin(channels, ", ").c_str(),
                outcomes.empty() ? "-" : absl::StrJoin(outcomes, ", ").c_str(),
                Percent(g.response_when_delivered().rate()).c_str(),
                Thousands(g.response_when_delivered().denominator()).c_str());
  }
  std::printf("  pseudonymised sample for a closer look: %d responders, %d non-responders (snapshot %lld, until %s)\n",
              measurement_.responders_size(), measurement_.non_responders_size(),
              static_cast<long long>(measurement_.snapshot_version()), Day(measurement_.end_date()).c_str());
  for (int i = 0; i < measurement_.responders_size() && i < 2; ++i) {
    const auto& m = measurement_.responders(i);
    std::printf("    %s  %-28s responded %s by %s, outcome %s\n", m.pseudonym().c_str(), m.group().c_str(),
                Day(m.first_response_date()).c_str(),
                Short(apb::ContactChannel_Name(m.first_response_channel()), "CONTACT_CHANNEL_").c_str(),
                m.outcome().c_str());
  }
  if (!Expect(measurement_.groups_size() == static_cast<int>(orders_.size()), "MeasureResponse left groups out")) {
    return false;
  }
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
