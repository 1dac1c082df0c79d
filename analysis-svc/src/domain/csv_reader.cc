// CSV reader (see csv_reader.h).
#include "analysis-svc/src/domain/csv_reader.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace cak::analysis::domain {

namespace {
constexpr size_t kMaxRecord = 1 << 20;
}

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
  if (!status_.ok()) return false;
  // Offsets from the record's start (the record moves to the front of buf_ on a refill):
  // (start, length, unquoted index or -1).
  size_t base = 0;
  struct Span {
    size_t start, len;
    int unquoted;
  };
  std::vector<Span> spans;
  size_t i = pos_;
  int64_t lines = 0;
  while (true) {
    if (i >= end_) {
      const size_t rel = i - pos_;
      if (!Fill()) {
        if (!status_.ok()) return false;
        if (rel == 0 && spans.empty()) return false;  // clean end of input
        // last record without a trailing newline
        spans.push_back({rel, 0, -1});  // after a trailing comma: one more empty field
        record_line_ = line_;
        base = pos_;
        pos_ = end_;
        break;
      }
      i = pos_ + rel;
      continue;
    }
    if (i - pos_ > kMaxRecord) {
      status_ = absl::InvalidArgumentError(absl::StrCat("line ", line_, ": record longer than 1 MiB"));
      return false;
    }
    // Scan one field starting at i.
    const size_t field_start = i;
    if (buf_[i] == '"') {
      std::string value;
      size_t j = i + 1;
      bool closed = false;
      while (true) {
        if (j >= end_) {
          const size_t rel_i = i - pos_, rel_j = j - pos_;
          if (!Fill()) {
            if (status_.ok())
              status_ = absl::InvalidArgumentError(absl::StrCat("line ", line_, ": unterminated quoted field"));
            return false;
          }
          i = pos_ + rel_i;
          j = pos_ + rel_j;
          continue;
        }
        if (j - pos_ > kMaxRecord) {
          status_ = absl::InvalidArgumentError(absl::StrCat("line ", line_, ": record longer than 1 MiB"));
          return false;
        }
        const char c = buf_[j];
        if (c == '"') {
          if (j + 1 >= end_ && !eof_) {  // need to see the next byte
            const size_t rel_i = i - pos_, rel_j = j - pos_;
            if (Fill()) {
              i = pos_ + rel_i;
              j = pos_ + rel_j;
              continue;
            }
            if (!status_.ok()) return false;
            i = pos_ + rel_i;
            j = pos_ + rel_j;
          }
          if (j + 1 < end_ && buf_[j + 1] == '"') {
            value.push_back('"');
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        if (c == '\n') ++lines;
        value.push_back(c);
        ++j;
      }
      (void)closed;
      (void)field_start;
      unquoted_.push_back(std::move(value));
      spans.push_back({0, 0, static_cast<int>(unquoted_.size() - 1)});
      i = j;
      if (i < end_ && buf_[i] != ',' && buf_[i] != '\n' && buf_[i] != '\r') {
        status_ = absl::InvalidArgumentError(absl::StrCat("line ", line_, ": text after a closing quote"));
        return false;
      }
    } else {
      size_t j = i;
      while (j < end_ && buf_[j] != ',' && buf_[j] != '\n') ++j;
      if (j - pos_ > kMaxRecord) {  // e.g. a file without line ends: never buffer all of it
        status_ = absl::InvalidArgumentError(absl::StrCat("line ", line_, ": record longer than 1 MiB"));
        return false;
      }
      if (j >= end_ && !eof_) {
        const size_t rel = i - pos_;
        if (Fill()) {
          i = pos_ + rel;
          continue;  // rescan this field with more data
        }
        if (!status_.ok()) return false;
        i = pos_ + rel;
        j = end_;
      }
      size_t len = j - i;
      if (len > 0 && buf_[i + len - 1] == '\r' && (j >= end_ || buf_[j] == '\n')) --len;  // CRLF
      spans.push_back({i - pos_, len, -1});
      i = j;
    }
    // After a field: ',' continues, '\n' or end finishes the record.
    if (i < end_ && buf_[i] == ',') {
      ++i;
      if (i >= end_ && eof_) {  // trailing comma at the very end: one more empty field
        spans.push_back({i - pos_, 0, -1});
        record_line_ = line_;
        base = pos_;
        pos_ = end_;
        break;
      }
      continue;
    }
    // CRLF after a quoted field: see both bytes even when the buffer ends between them.
    if (i + 1 >= end_ && !eof_) {
      const size_t rel = i - pos_;
      const bool more = Fill();
      i = pos_ + rel;
      if (!more && !status_.ok()) return false;
    }
    if (i < end_ && buf_[i] == '\r') {
      if (i + 1 < end_ && buf_[i + 1] != '\n') {
        status_ = absl::InvalidArgumentError(absl::StrCat("line ", line_, ": carriage return without a line feed"));
        return false;
      }
      ++i;
    }
    record_line_ = line_;
    line_ += lines + 1;
    base = pos_;
    pos_ = i < end_ ? i + 1 : end_;
    break;
  }
  fields->reserve(spans.size());
  for (const Span& s : spans) {
    if (s.unquoted >= 0) {
      fields->emplace_back(unquoted_[s.unquoted]);
    } else {
      fields->emplace_back(buf_.data() + base + s.start, s.len);
    }
  }
  return true;
}

}  // namespace cak::analysis::domain
