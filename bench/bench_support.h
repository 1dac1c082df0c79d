// What the benchmarks share: timing, medians, a fatal error, and the psql reference runs (the
// figures every benchmark prints beside its own are measured through psql on the same database,
// with the test DSN passed through libpq's environment, never in argv).
#pragma once

#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

#include "cak/voorlichting/analysis/v1/analysis_service.pb.h"

namespace cak::bench {

using Clock = std::chrono::steady_clock;

// Seconds since `since`.
double Seconds(Clock::time_point since);
// The median (the upper one of an even count); 0 for none.
double Median(std::vector<double> values);

// "12.3 ms": `v` with `precision` decimals and its unit.
std::string Fmt(double v, const char* unit, int precision = 0);

// The benchmark's name in its error messages (set once in main).
void SetProgramName(std::string name);
// Prints "<program>: <what>" and exits 1.
[[noreturn]] void Die(const std::string& what);

// Exports host, port, user, password and dbname of a libpq key=value DSN as PG* variables, so
// psql connects to the benchmark's database without the password on its command line.
void ExportLibpqEnvironment(const std::string& dsn);
// Runs a psql script (-X -q -A -t, stop on error) and returns its output; dies when psql fails.
std::string Psql(const std::string& script);
// The sum of psql's "Time: x ms" lines (\timing on), in seconds.
double PsqlTime(const std::string& output);

// CPU time (user + system, in seconds) used so far by this process, and by the processes named
// "postgres" on this machine (the local server's backends and helpers: 0 when the database runs
// elsewhere). Differences over a measured window say where a benchmark's CPU went.
double ProcessCpuSeconds();
double LocalPostgresCpuSeconds();

// Criteria: the customers of any of `regulations`.
cak::voorlichting::analysis::v1::Criteria Regulations(
    std::initializer_list<cak::voorlichting::analysis::v1::Regulation> regulations);

}  // namespace cak::bench
