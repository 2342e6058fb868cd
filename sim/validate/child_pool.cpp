#include "sim/validate/child_pool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace xpusim::validate {
namespace {

// What a child sends: one kind byte, the payload's length (8 bytes, native order) and the
// payload: the task's answer, or the message of the exception that escaped it.
constexpr char kAnswer = 'A';
constexpr char kException = 'X';
constexpr std::size_t kHeader = 1 + sizeof(std::uint64_t);

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

[[noreturn]] void run_child(int fd, const std::function<std::string()>& task) {
  char kind = kAnswer;
  std::string payload;
  try {
    payload = task();
  } catch (const std::exception& e) {
    kind = kException;
    payload = e.what();
  } catch (...) {
    kind = kException;
    payload = "unknown exception";
  }
  std::string message(kHeader, '\0');
  message[0] = kind;
  const std::uint64_t size = payload.size();
  std::memcpy(message.data() + 1, &size, sizeof size);
  message += payload;
  const bool sent = write_all(fd, message.data(), message.size());
  ::close(fd);
  // _exit: the parent's atexit handlers, static destructors and unflushed stdio buffers are not
  // the child's to run.
  ::_exit(sent ? 0 : 1);
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    return fmt::format("killed by signal {} ({})", sig, name ? name : "?");
  }
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  return fmt::format("ended with wait status {}", status);
}

}  // namespace

int available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

ChildPool::ChildPool(int jobs) : jobs_(jobs) {
  if (jobs < 1) throw std::invalid_argument("ChildPool needs at least one job");
}

ChildPool::~ChildPool() {
  for (Child& c : running_) {
    ::kill(c.pid, SIGKILL);
    ::close(c.fd);
    int status = 0;
    while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

std::size_t ChildPool::launch(const std::function<std::string()>& task) {
  while (static_cast<int>(running_.size()) >= jobs_) wait_for_one();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  // Whatever the parent has buffered must not be written twice (the child never flushes it).
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::system_error(err, std::generic_category(), "fork");
  }
  if (pid == 0) {
    ::close(fds[0]);
    for (const Child& c : running_) ::close(c.fd);  // the other children's pipes
    run_child(fds[1], task);
  }
  ::close(fds[1]);
  const std::size_t index = results_.size();
  results_.emplace_back();
  running_.push_back(Child{pid, fds[0], index, {}});
  return index;
}

const std::vector<ChildPool::Result>& ChildPool::results() {
  while (!running_.empty()) wait_for_one();
  return results_;
}

void ChildPool::wait_for_one() {
  std::vector<pollfd> polled(running_.size());
  char buffer[1 << 16];
  for (;;) {
    for (std::size_t i = 0; i < running_.size(); ++i) polled[i] = pollfd{running_[i].fd, POLLIN, 0};
    if (::poll(polled.data(), polled.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    for (std::size_t i = 0; i < running_.size(); ++i) {
      if (polled[i].revents == 0) continue;
      const ssize_t n = ::read(running_[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        running_[i].received.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      // End of file (the child closed its end: it has exited or is about to) or a read error.
      const std::size_t task = running_[i].task;
      finish(running_[i]);
      running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
      // After the child is forgotten: a callback that throws leaves no reaped pid behind.
      if (on_finish_) on_finish_(task, results_[task]);
      return;
    }
  }
}

void ChildPool::finish(Child& child) {
  ::close(child.fd);
  int status = 0;
  bool reaped = true;
  while (::waitpid(child.pid, &status, 0) < 0) {
    if (errno == EINTR) continue;
    reaped = false;  // not ours to wait for (SIGCHLD ignored): judge by the answer alone
    break;
  }
  Result& r = results_[child.task];
  const std::string& got = child.received;
  std::uint64_t size = 0;
  if (got.size() >= kHeader) std::memcpy(&size, got.data() + 1, sizeof size);
  const bool complete = got.size() >= kHeader && got.size() - kHeader == size;
  const bool exited_ok = !reaped || (WIFEXITED(status) && WEXITSTATUS(status) == 0);
  if (complete && exited_ok && got[0] == kAnswer) {
    r.delivered = true;
    r.data = got.substr(kHeader);
  } else if (complete && got[0] == kException) {
    r.failure = "exception: " + got.substr(kHeader);
  } else if (reaped && !exited_ok) {
    r.failure = describe_status(status);
  } else {
    r.failure = "ended without sending a whole answer";
  }
}

}  // namespace xpusim::validate
