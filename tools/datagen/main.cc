// voorlichting-datagen: writes a deterministic synthetic CAK population as the four CSV files
// analysis-svc imports (customers.csv, relations.csv, mailings.csv, contact_reports.csv).
//
//   voorlichting-datagen --size small|large|<N customers> --out DIR [--seed S] [--reference-date YYYY-MM-DD]
//
// The same options always give byte-identical files; the wall clock is never read (the
// reference date, default 2026-11-01, stands for "today").
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/config.h"
#include "tools/datagen/population.h"

namespace {

namespace datagen = cak::tools::datagen;

int ConfigError(const absl::Status& st) {
  std::fprintf(stderr, "configuration error:\n%s\n(run with --help for all options)\n",
               std::string(st.message()).c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string size, out, reference_date;
  int64_t seed = 0;
  cak::common::ConfigParser parser(
      "voorlichting-datagen",
      "writes a synthetic population as customers.csv, relations.csv, mailings.csv and contact_reports.csv "
      "(format: analysis-svc/README.md)\n\nusage: voorlichting-datagen --size small|large|<N customers> --out DIR "
      "[--seed S] [--reference-date YYYY-MM-DD]");
  parser.String("size", &size, "", "small (10,000 customers), large (2,000,000) or a number of customers (required)");
  parser.String("out", &out, "", "output directory, created when missing (required)");
  parser.Int("seed", &seed, 1, 0, INT64_MAX, "random seed: the same seed and size give the same files");
  parser.String("reference-date", &reference_date, "2026-11-01",
                "the date the data is as of (YYYY-MM-DD): mailings are planned around it, contacts lie before it");
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::Status st = parser.Parse(args, cak::common::ProcessEnv());
  if (parser.help_requested()) {
    std::fputs(parser.Usage().c_str(), stdout);
    return 0;
  }
  if (!st.ok()) return ConfigError(st);

  std::vector<std::string> problems;
  datagen::PopulationOptions options;
  options.seed = static_cast<uint64_t>(seed);
  if (size.empty()) {
    problems.push_back("--size is required");
  } else if (auto customers = datagen::ParseSize(size); !customers.ok()) {
    problems.push_back(absl::StrCat("--size=", size, ": ", customers.status().message()));
  } else {
    options.customers = *customers;
  }
  if (out.empty()) problems.push_back("--out is required");
  if (auto day = datagen::ParseReferenceDate(reference_date); !day.ok()) {
    problems.push_back(absl::StrCat("--reference-date=", reference_date, ": ", day.status().message()));
  } else {
    options.reference_date = *day;
  }
  if (!problems.empty()) return ConfigError(absl::InvalidArgumentError(absl::StrJoin(problems, "\n")));

  const auto started = std::chrono::steady_clock::now();  // for the summary only
  auto population = datagen::Population::Create(options);
  if (!population.ok()) return ConfigError(population.status());
  auto stats = datagen::WriteAll(*population, out);
  if (!stats.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(stats.status().message()).c_str());
    return 1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  int64_t total = 0;
  for (size_t k = 0; k < datagen::kAllFiles.size(); ++k) {
    const datagen::FileStats& s = (*stats)[k];
    std::printf("%-20s %10lld rows %14lld bytes\n", std::string(datagen::FileName(datagen::kAllFiles[k])).c_str(),
                static_cast<long long>(s.rows), static_cast<long long>(s.bytes));
    total += s.bytes;
  }
  std::printf("%lld customers, seed %llu, reference date %s: %lld bytes in %s in %.1f s\n",
              static_cast<long long>(options.customers), static_cast<unsigned long long>(options.seed),
              absl::FormatCivilTime(options.reference_date).c_str(), static_cast<long long>(total), out.c_str(),
              seconds);
  return 0;
}
