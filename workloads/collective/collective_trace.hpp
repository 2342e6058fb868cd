#pragma once
// A collective as a trace: the operations every device performs (chunk sends, NVLS switch
// operations, reduction and copy kernels' memory traffic) with the dependencies NCCL's kernels
// enforce between them (data arrival, program order within a channel group, FIFO slots). The
// fabric's CollectiveEngine replays it.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "sim/common/time.hpp"

namespace xpusim::collective {

enum class OpKind : std::uint8_t {
  kSend,          // device -> peer over the fabric (then `mem_bytes` of memory traffic)
  kSwitchReduce,  // NVLS load-reduce: `device` gets `bytes` reduced over every device
  kMulticast,     // NVLS multicast store: every device gets `device`'s `bytes`
  kCompute,       // `mem_bytes` of memory traffic on `device` (reduction, copy kernels)
  kNop,           // a dependency point (barrier, launch); only its delay
};

struct Op {
  OpKind kind = OpKind::kNop;
  std::int32_t device = 0;
  std::int32_t peer = -1;        // receiver of a send
  std::uint64_t bytes = 0;       // data bytes
  std::uint64_t link_bytes = 0;  // bytes the protocol puts on the links (LL doubles them)
  std::uint64_t mem_bytes = 0;   // device memory bytes read and written
  Picos delay = 0;               // fixed cost between the dependencies and the start
  Picos post = 0;                // fixed cost between the data's arrival and completion
  std::uint32_t first_dep = 0, dep_count = 0;  // into Trace::deps
};

struct Trace {
  std::string op, algorithm, protocol;
  int devices = 0;
  std::uint64_t bytes = 0;  // the size nccl-tests reports
  std::vector<Op> ops;
  std::vector<std::uint32_t> deps;
  std::vector<std::string> notes;  // chunking and parameters, for reports

  static constexpr std::uint32_t kNone = 0xffffffffu;

  // Appends `op` depending on `deps` (kNone entries are skipped); returns its index.
  std::uint32_t add(Op op, std::initializer_list<std::uint32_t> deps);
  std::uint32_t add(Op op, const std::vector<std::uint32_t>& deps);
  // Sum of bytes sent over links by sends and switch operations, for checks.
  std::uint64_t sent_bytes() const;
};

}  // namespace xpusim::collective
