#include "sim/explore/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sim/common/error.hpp"

namespace xpusim::explore {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const char* what) {
  throw UserError(path.string() + ": " + what + ": " + std::strerror(errno));
}

void write_all(int fd, const std::string& text, const std::filesystem::path& path) {
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, "write");
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void sync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(tmp, "cannot create");
  write_all(fd, text, tmp);
  if (::fsync(fd) != 0) fail(tmp, "fsync");
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail(path, "rename");
  sync_dir(path.parent_path());
}

LineAppender::LineAppender(const std::filesystem::path& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(path, "cannot open for appending");
}

LineAppender::~LineAppender() {
  if (fd_ >= 0) ::close(fd_);
}

void LineAppender::append(const std::string& line) {
  write_all(fd_, line + "\n", path_);
  if (::fsync(fd_) != 0) fail(path_, "fsync");
}

}  // namespace xpusim::explore
