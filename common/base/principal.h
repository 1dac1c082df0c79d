// Who is calling: an employee (bearer token) or an application / service (mTLS identity), and
// the roles they hold. Produced by common/grpc/auth, consumed by the role table and the domain
// (which records actors on every decision).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace cak::common {

enum class PrincipalKind { kEmployee, kApplication };

struct Principal {
  std::string id;  // employee number, or the application identity
  PrincipalKind kind = PrincipalKind::kEmployee;
  std::vector<std::string> roles;

  bool HasRole(absl::string_view role) const { return std::find(roles.begin(), roles.end(), role) != roles.end(); }
};

// Role names as they appear in tokens (claim "roles") and in the service-identity table.
namespace roles {
// Employees (DESIGN.md section 4.9).
inline constexpr char kIntakeOfficer[] = "intake_officer";
inline constexpr char kAnalyst[] = "analyst";
inline constexpr char kCampaignDesigner[] = "campaign_designer";
inline constexpr char kApprover[] = "approver";
inline constexpr char kExecutor[] = "executor";
inline constexpr char kPrivacyOfficer[] = "privacy_officer";
inline constexpr char kAdministrator[] = "administrator";
// Applications and the suite's own services.
inline constexpr char kReportingApplication[] = "reporting_application";
inline constexpr char kIntakeService[] = "intake_service";
inline constexpr char kAnalysisService[] = "analysis_service";
inline constexpr char kCampaignService[] = "campaign_service";
inline constexpr char kDispatchService[] = "dispatch_service";
}  // namespace roles

}  // namespace cak::common
