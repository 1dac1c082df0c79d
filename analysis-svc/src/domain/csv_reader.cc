// CSV reader (see csv_reader.h).
#include "analysis-svc/src/domain/csv_reader.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace cak::analysis::domain {

namespace {
constexpr size_t kMaxRecord = 1 << 20;
constexpr char kTooLong[] = "record longer than 1 MiB";
}  // namespace

CsvReader::CsvReader(Source source, size_t chunk_size) : source_(std::move(source)), chunk_size_(chunk_size) {
  buf_.resize(chunk_size_ * 2);
}

bool CsvReader::Fill() {
  if (eof_) return false;
  if (pos_ > 0) {  // keep the unfinished record at the front
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (buf_.size() - end_ < chunk_size_) buf_.resize(end_ + chunk_size_);
  const int64_t n = source_(buf_.data() + end_, buf_.size() - end_);
  if (n < 0) {
    status_ = absl::DataLossError("reading the import file failed");
    eof_ = true;
    return false;
  }
  if (n == 0) {
    eof_ = true;
    return false;
  }
  end_ += static_cast<size_t>(n);
  bytes_read_ += n;
  return true;
}

bool CsvReader::Next(std::vector<absl::string_view>* fields) {
  fields->clear();
  unquoted_.clear();
  spans_.clear();
  if (!status_.ok()) return false;
  size_t i = pos_;    // the next byte to scan
  int64_t lines = 0;  // line feeds inside this record's quoted fields
  while (true) {
    if (i >= end_) {
      const size_t rel = i - pos_;
      if (!Fill()) {
        if (!status_.ok()) return false;
        if (rel == 0 && spans_.empty()) return false;  // clean end of input
        // last record without a trailing newline
        spans_.push_back({rel, 0, -1});  // after a trailing comma: one more empty field
        return EmitRecord(end_, 0, fields);
      }
      i = pos_ + rel;
      continue;
    }
    if (i - pos_ > kMaxRecord) return Fail(kTooLong);
    const Scan scanned = buf_[i] == '"' ? ScanQuoted(&i, &lines) : ScanPlain(&i);
    if (scanned == Scan::kError) return false;
    if (scanned == Scan::kRescan) continue;
    // After a field: ',' continues, '\n' or end finishes the record.
    if (i < end_ && buf_[i] == ',') {
      ++i;
      if (i >= end_ && eof_) {  // trailing comma at the very end: one more empty field
        spans_.push_back({i - pos_, 0, -1});
        return EmitRecord(end_, 0, fields);
      }
      continue;
    }
    return FinishLine(i, lines, fields);
  }
}

CsvReader::Scan CsvReader::ScanPlain(size_t* i) {
  size_t start = *i, j = start;
  while (j < end_ && buf_[j] != ',' && buf_[j] != '\n') ++j;
  if (j - pos_ > kMaxRecord) {  // e.g. a file without line ends: never buffer all of it
    Fail(kTooLong);
    return Scan::kError;
  }
  if (j >= end_ && !eof_) {  // the field may go on in the next chunk
    const size_t rel = start - pos_;
    const bool more = Fill();
    *i = start = pos_ + rel;
    if (more) return Scan::kRescan;  // rescan this field with more data
    if (!status_.ok()) return Scan::kError;
    j = end_;
  }
  size_t len = j - start;
  if (len > 0 && buf_[start + len - 1] == '\r' && (j >= end_ || buf_[j] == '\n')) --len;  // CRLF
  spans_.push_back({start - pos_, len, -1});
  *i = j;
  return Scan::kField;
}

CsvReader::Scan CsvReader::ScanQuoted(size_t* i, int64_t* lines) {
  std::string value;
  size_t j = *i + 1;
  while (true) {
    if (j >= end_) {
      const size_t rel = j - pos_;
      if (!Fill()) {
        if (status_.ok()) Fail("unterminated quoted field");
        return Scan::kError;
      }
      j = pos_ + rel;
      continue;
    }
    if (j - pos_ > kMaxRecord) {
      Fail(kTooLong);
      return Scan::kError;
    }
    const char c = buf_[j];
    if (c == '"') {
      if (j + 1 >= end_ && !eof_) {  // need to see the next byte
        const size_t rel = j - pos_;
        const bool more = Fill();
        j = pos_ + rel;
        if (more) continue;
        if (!status_.ok()) return Scan::kError;
      }
      if (j + 1 < end_ && buf_[j + 1] == '"') {
        value.push_back('"');
        j += 2;
        continue;
      }
      ++j;  // the closing quote
      break;
    }
    if (c == '\n') ++*lines;
    value.push_back(c);
    ++j;
  }
  unquoted_.push_back(std::move(value));
  spans_.push_back({0, 0, static_cast<int>(unquoted_.size() - 1)});
  *i = j;
  if (j < end_ && buf_[j] != ',' && buf_[j] != '\n' && buf_[j] != '\r') {
    Fail("text after a closing quote");
    return Scan::kError;
  }
  return Scan::kField;
}

bool CsvReader::FinishLine(size_t i, int64_t lines, std::vector<absl::string_view>* fields) {
  // CRLF after a quoted field: see both bytes even when the buffer ends between them.
  if (i + 1 >= end_ && !eof_) {
    const size_t rel = i - pos_;
    const bool more = Fill();
    i = pos_ + rel;
    if (!more && !status_.ok()) return false;
  }
  if (i < end_ && buf_[i] == '\r') {
    if (i + 1 < end_ && buf_[i + 1] != '\n') return Fail("carriage return without a line feed");
    ++i;
  }
  return EmitRecord(i < end_ ? i + 1 : end_, lines + 1, fields);
}

bool CsvReader::EmitRecord(size_t next, int64_t line_advance, std::vector<absl::string_view>* fields) {
  record_line_ = line_;
  line_ += line_advance;
  const size_t base = pos_;
  pos_ = next;
  fields->reserve(spans_.size());
  for (const Span& s : spans_) {
    if (s.unquoted >= 0) {
      fields->emplace_back(unquoted_[s.unquoted]);
    } else {
      fields->emplace_back(buf_.data() + base + s.start, s.len);
    }
  }
  return true;
}

bool CsvReader::Fail(absl::string_view problem) {
  status_ = absl::InvalidArgumentError(absl::StrCat("line ", line_, ": ", problem));
  return false;
}

}  // namespace cak::analysis::domain
