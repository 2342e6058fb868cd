#pragma once
// Runs independent tasks in child processes (fork), at most `jobs` at a time, and collects what
// each sends back through a pipe. The SystemC kernel is process-global, so simulations that
// should run side by side need processes, not threads. A child that crashes, is killed or exits
// without sending its whole answer is reported as a failure of its task; the parent never waits
// on a child that is gone. POSIX only.
#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace xpusim::validate {

// Processors this process may run on (its CPU affinity), at least 1.
int available_cpus();

class ChildPool {
 public:
  struct Result {
    bool delivered = false;  // the child sent its whole answer and exited with status 0
    std::string data;        // what the task returned (delivered)
    std::string failure;     // why not (otherwise): "killed by signal 11 (Segmentation fault)"
  };

  explicit ChildPool(int jobs);  // jobs >= 1
  ~ChildPool();                  // kills and reaps children still running
  ChildPool(const ChildPool&) = delete;
  ChildPool& operator=(const ChildPool&) = delete;

  // Runs `task` in a new child once fewer than `jobs` children run (waiting for one to end
  // first if needed). The child sends what `task` returns and exits; an exception escaping
  // `task` counts as a failure. Returns the task's index for results().
  std::size_t launch(const std::function<std::string()>& task);
  // Waits for every child; the results in launch order.
  const std::vector<Result>& results();
  // Called in the parent as each task ends (task index, its result), before launch() or
  // results() return: lets a caller stream results out as they arrive.
  void on_finish(std::function<void(std::size_t, const Result&)> callback) {
    on_finish_ = std::move(callback);
  }

 private:
  struct Child {
    pid_t pid = -1;
    int fd = -1;  // read end of its pipe
    std::size_t task = 0;
    std::string received;
  };
  void wait_for_one();  // until one running child has ended and been reaped
  void finish(Child& child);

  int jobs_;
  std::vector<Child> running_;
  std::vector<Result> results_;
  std::function<void(std::size_t, const Result&)> on_finish_;
};

}  // namespace xpusim::validate
