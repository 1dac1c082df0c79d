// A streaming RFC 4180 CSV reader for bulk imports: reads through a byte source in large
// chunks and hands out one record at a time as string_views into its buffer (valid until the
// next call), unquoting only the fields that were quoted. Line numbers count physical lines,
// so a record's number is the line it starts on (what the import report shows).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cak::analysis::domain {

class CsvReader {
 public:
  // `read(buffer, capacity)` fills up to `capacity` bytes and returns how many (0 at the end),
  // or a negative number on a read error.
  using Source = std::function<int64_t(char* buffer, size_t capacity)>;
  explicit CsvReader(Source source, size_t chunk_size = 1 << 20);

  // The next record. False at the end of input or on an error (then status() says which:
  // INVALID_ARGUMENT for an unterminated quote or a record over 1 MiB, DATA_LOSS on a read error).
  bool Next(std::vector<absl::string_view>* fields);
  // Line number where the record last returned by Next() started (1-based).
  int64_t line() const { return record_line_; }
  const absl::Status& status() const { return status_; }
  // Bytes consumed so far (for fingerprints / progress).
  int64_t bytes_read() const { return bytes_read_; }

 private:
  // A field of the record being read, as offsets from the record's start (the record moves to
  // the front of buf_ on a refill): `len` bytes from `start`, or unquoted_[unquoted] when that
  // is >= 0.
  struct Span {
    size_t start, len;
    int unquoted;
  };
  // How scanning one field ended: a field added to spans_, more input read so the field must be
  // scanned again from its start, or an error (status_ says which).
  enum class Scan { kField, kRescan, kError };

  bool Fill();  // more bytes into buf_ after end_; false at EOF or error
  // Scan the field starting at *i (for ScanQuoted, its opening quote) into spans_ and leave *i
  // on the byte after it. *lines counts the line feeds inside a quoted field. (ScanPlain is
  // inline, defined in the .cc: it runs for nearly every field, and GCC -O2 keeps it out of
  // line otherwise, 10% slower on a customers file.)
  inline Scan ScanPlain(size_t* i);
  Scan ScanQuoted(size_t* i, int64_t* lines);
  // After the last field, at *i: the line end (LF or CRLF, or the end of input) finishes the
  // record that spans `lines` + 1 lines.
  bool FinishLine(size_t i, int64_t lines, std::vector<absl::string_view>* fields);
  // Hands out the record of spans_ as `fields`; the next record starts at `next` and on the
  // line `line_advance` lines further.
  bool EmitRecord(size_t next, int64_t line_advance, std::vector<absl::string_view>* fields);
  // status_ = INVALID_ARGUMENT "line N: <problem>"; returns false.
  bool Fail(absl::string_view problem);

  Source source_;
  size_t chunk_size_;
  std::string buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  int64_t line_ = 1, record_line_ = 0, bytes_read_ = 0;
  std::vector<Span> spans_;            // the fields of the record being read (kept: no allocation per record)
  std::vector<std::string> unquoted_;  // storage for fields that needed unquoting
  absl::Status status_;
};

}  // namespace cak::analysis::domain
