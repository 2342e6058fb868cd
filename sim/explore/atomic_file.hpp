#pragma once
// Durable file writes for results that must survive a kill or a crash.
#include <filesystem>
#include <string>

namespace xpusim::explore {

// Writes `text` to a temporary file beside `path`, fsyncs it and renames it over `path`: a
// reader sees the old content or the new, never a mix.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

// An append-only file of lines. Each append is one write() of the whole line on an O_APPEND
// descriptor followed by fsync, so a killed writer leaves at most one partial last line.
class LineAppender {
 public:
  explicit LineAppender(const std::filesystem::path& path);
  ~LineAppender();
  LineAppender(const LineAppender&) = delete;
  LineAppender& operator=(const LineAppender&) = delete;
  void append(const std::string& line);  // `line` without its newline

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace xpusim::explore
