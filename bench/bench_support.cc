// Benchmark support (see bench_support.h).
#include "bench/bench_support.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "absl/strings/str_split.h"

namespace cak::bench {

namespace {
std::string& ProgramName() {
  static std::string name = "bench";
  return name;
}
}  // namespace

namespace {
// utime + stime of /proc/<pid>/stat (fields 14 and 15), in seconds; 0 when unreadable.
double StatCpuSeconds(const std::string& stat_path) {
  std::ifstream in(stat_path);
  std::string line;
  if (!std::getline(in, line)) return 0;
  const size_t close = line.rfind(')');  // the command name may contain spaces
  if (close == std::string::npos) return 0;
  std::vector<std::string> f = absl::StrSplit(line.substr(close + 2), ' ');
  if (f.size() < 13) return 0;
  return (std::atof(f[11].c_str()) + std::atof(f[12].c_str())) / static_cast<double>(sysconf(_SC_CLK_TCK));
}
}  // namespace

double ProcessCpuSeconds() { return StatCpuSeconds("/proc/self/stat"); }

double LocalPostgresCpuSeconds() {
  double total = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename().string();
    if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0]))) continue;
    std::ifstream comm(entry.path() / "comm");
    std::string name;
    if (std::getline(comm, name) && name == "postgres") total += StatCpuSeconds((entry.path() / "stat").string());
  }
  return total;
}

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

std::string Fmt(double v, const char* unit, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f %s", precision, v, unit);
  return buf;
}

void SetProgramName(std::string name) { ProgramName() = std::move(name); }

void Die(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", ProgramName().c_str(), what.c_str());
  std::exit(1);
}

void ExportLibpqEnvironment(const std::string& dsn) {
  static const std::map<std::string, const char*> kVars = {
      {"host", "PGHOST"}, {"port", "PGPORT"}, {"user", "PGUSER"}, {"password", "PGPASSWORD"}, {"dbname", "PGDATABASE"}};
  for (absl::string_view part : absl::StrSplit(dsn, ' ', absl::SkipEmpty())) {
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos) continue;
    auto it = kVars.find(std::string(part.substr(0, eq)));
    if (it != kVars.end()) setenv(it->second, std::string(part.substr(eq + 1)).c_str(), 1);
  }
}

std::string Psql(const std::string& script) {
  const std::string path = "/tmp/cak-" + ProgramName() + ".sql";
  std::ofstream(path) << script;
  FILE* p = popen(("psql -X -q -v ON_ERROR_STOP=1 -A -t -f " + path + " 2>&1").c_str(), "r");
  if (!p) Die("cannot run psql");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  if (pclose(p) != 0) Die("psql failed: " + out);
  return out;
}

double PsqlTime(const std::string& output) {
  static const std::regex kTime("Time: ([0-9.]+) ms");
  double ms = 0;
  for (std::sregex_iterator it(output.begin(), output.end(), kTime), end; it != end; ++it) ms += std::stod((*it)[1]);
  return ms / 1000;
}

cak::voorlichting::analysis::v1::Criteria Regulations(
    std::initializer_list<cak::voorlichting::analysis::v1::Regulation> regulations) {
  cak::voorlichting::analysis::v1::Criteria c;
  for (auto r : regulations) c.mutable_predicate()->mutable_regulation_in()->add_regulations(r);
  return c;
}

}  // namespace cak::bench
