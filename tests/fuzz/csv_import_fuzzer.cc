// Fuzz: an import file's way in. The RFC 4180 reader reads the bytes through a source that
// hands out chunks of a size the input chooses (so quotes, CRLF and records straddle chunk
// borders), and every record goes through the data set's row rules (RowEncoder), as ImportFile
// does. Input: the first byte picks the data set and the chunk size; the rest is the file.
//
// Beyond "no crash, no leak, no undefined behaviour" it checks what the import relies on: a
// refused row leaves the COPY text untouched and says why; an accepted row is exactly one COPY
// line with one field per column (no tab or newline of the input gets through unescaped).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "analysis-svc/src/domain/columnar.h"
#include "analysis-svc/src/domain/csv_reader.h"
#include "analysis-svc/src/domain/import_rows.h"

namespace {

using cak::analysis::domain::ColumnarSnapshot;
using cak::analysis::domain::CopyColumns;
using cak::analysis::domain::CsvReader;
using cak::analysis::domain::Dataset;
using cak::analysis::domain::RowEncoder;
using cak::analysis::domain::RowError;

// The current snapshot references are checked against: two customers.
const ColumnarSnapshot& Customers() {
  static const ColumnarSnapshot* s = [] {
    auto* snapshot = new ColumnarSnapshot();
    snapshot->bsn = {111222333, 123456782};
    return snapshot;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto dataset = static_cast<Dataset>(1 + data[0] % 4);
  const size_t chunk = 1 + (data[0] >> 2) * 8;  // 1 .. 505 bytes
  const char* input = reinterpret_cast<const char*>(data + 1);
  const size_t length = size - 1;
  size_t pos = 0;
  CsvReader reader(
      [&](char* buffer, size_t capacity) -> int64_t {
        const size_t n = std::min({capacity, chunk, length - pos});
        std::memcpy(buffer, input + pos, n);
        pos += n;
        return static_cast<int64_t>(n);
      },
      chunk);
  RowEncoder encoder(dataset, absl::CivilDay(2026, 11, 2), &Customers());
  const size_t columns = CopyColumns(dataset).size();
  std::vector<absl::string_view> fields;
  std::string out;
  int64_t last_line = 0;
  while (reader.Next(&fields)) {
    if (reader.line() <= last_line) __builtin_trap();  // records start on later lines
    last_line = reader.line();
    const size_t before = out.size();
    RowError error;
    if (!encoder.Encode(reader.line(), fields, &out, &error)) {
      if (out.size() != before || error.reason.empty() || error.row != reader.line()) __builtin_trap();
      continue;
    }
    const absl::string_view line = absl::string_view(out).substr(before);
    if (line.empty() || line.back() != '\n' || std::count(line.begin(), line.end(), '\n') != 1 ||
        static_cast<size_t>(std::count(line.begin(), line.end(), '\t')) != columns - 1) {
      __builtin_trap();
    }
  }
  return 0;
}
