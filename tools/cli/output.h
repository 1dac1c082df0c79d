// How the command-line client prints: refusals as a person can read them, usage errors,
// numbered steps of the guided tours, enum names without their prefix, Dutch thousands, dates.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <string>

#include "absl/time/civil_time.h"
#include "cak/voorlichting/type/v1/date.pb.h"

namespace cak::cli {

// Prints DescribeError(st) on stderr; returns the exit code 1.
int Fail(const grpc::Status& st);
// Prints "usage: <text>" on stderr; returns the exit code 2.
int Usage(const std::string& text);
// "[n] title" in bold, flushed (the tours interleave with the services' progress).
void Step(int n, const std::string& title);
// "CAMPAIGN_STATE_DRAFT" without "CAMPAIGN_STATE_" -> "DRAFT".
std::string Short(const std::string& full, const std::string& prefix);
// 12345 -> "12.345".
std::string Thousands(int64_t n);
// Dates: "2026-11-29", "-" when unset.
void SetDay(absl::CivilDay d, cak::voorlichting::type::v1::Date* out);
std::string Day(const cak::voorlichting::type::v1::Date& d);

}  // namespace cak::cli
