#pragma once
// Trace format v1: the contract between the functional core (which emits traces) and the SystemC
// platform (which replays them). docs/trace-format.md describes every op and the file layouts.
//
// A trace lists the tensors a workload touches and its kernels; a kernel lists its CTAs in launch
// order; a CTA runs one or more streams (warp-specialised kernels use a producer and a consumer
// stream); a stream is a program of Ops. LOOP_BEGIN/LOOP_END keep programs short: inside a loop an
// op's address is addr + iter * addr_step and its stage is (iter + stage_base) % num_stages, where
// iter is the innermost loop's iteration index (0 outside loops).
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "sim/common/dtype.hpp"

namespace xpusim::trace {

inline constexpr std::uint32_t kTraceVersion = 1;
inline constexpr int kMaxLoopDepth = 2;

// The numeric values are the binary encoding; never reuse or renumber one.
enum class Opcode : std::uint8_t {
  kTileLoad = 1,
  kWaitFull = 2,
  kRelease = 3,
  kWaitEmpty = 4,
  kMma = 5,
  kVector = 6,
  kSfu = 7,
  kTileStore = 8,
  kSync = 9,
  kLoopBegin = 10,
  kLoopEnd = 11,
};
inline constexpr std::uint8_t kMaxOpcode = 11;

std::string_view opcode_name(Opcode op);  // "TILE_LOAD", ...
bool parse_opcode(std::string_view name, Opcode& out);

// A 2-D box of memory: `rows` rows of `row_bytes` contiguous bytes, `row_stride` bytes apart,
// starting at `addr` (+ iter * addr_step inside a loop).
struct Box {
  std::uint32_t tensor = 0;
  std::uint32_t rows = 0;
  std::uint32_t row_bytes = 0;
  std::uint64_t addr = 0;
  std::int64_t addr_step = 0;
  std::uint64_t row_stride = 0;

  std::uint64_t bytes() const { return std::uint64_t{rows} * row_bytes; }
  bool operator==(const Box&) const = default;
};

struct TileLoad {
  Box box;
  std::uint32_t stage_base = 0;
  std::uint32_t multicast = 1;  // CTAs of the cluster that list this same box and share one fetch
  bool operator==(const TileLoad&) const = default;
};
struct TileStore {
  Box box;
  bool atomic = false;  // reduction into memory rather than a plain write
  bool operator==(const TileStore&) const = default;
};
struct StageRef {  // WAIT_FULL, RELEASE, WAIT_EMPTY
  std::uint32_t stage_base = 0;
  bool operator==(const StageRef&) const = default;
};
struct Mma {  // m*n*k multiply-adds on the tensor cores; sizes are the useful (unpadded) ones
  std::uint32_t m = 0, n = 0, k = 0;
  DType dtype = DType::kBf16;
  bool operator==(const Mma&) const = default;
};
struct VectorWork {
  std::uint64_t elements = 0;
  std::uint32_t flops_per_element = 0;
  DType dtype = DType::kFp32;
  bool operator==(const VectorWork&) const = default;
};
struct SfuWork {
  std::uint64_t elements = 0;
  bool operator==(const SfuWork&) const = default;
};
struct LoopBegin {
  std::uint32_t count = 0;
  bool operator==(const LoopBegin&) const = default;
};

// One instruction of a stream: an opcode and the payload that opcode reads (a tagged union, so
// that an Op stays a small trivially copyable value; read only the member its opcode names).
struct Op {
  Opcode opcode = Opcode::kSync;
  union {
    std::uint64_t raw_[6];  // zeroed first, so that copies never read indeterminate bytes
    StageRef stage;         // kWaitFull, kRelease, kWaitEmpty
    TileLoad load;          // kTileLoad
    TileStore store;        // kTileStore
    Mma mma;                // kMma
    VectorWork vector;      // kVector
    SfuWork sfu;            // kSfu
    LoopBegin loop;         // kLoopBegin
  };

  Op() : raw_{} {}  // a SYNC
  Op(const TileLoad& l) : opcode(Opcode::kTileLoad), raw_{} { load = l; }
  Op(const TileStore& s) : opcode(Opcode::kTileStore), raw_{} { store = s; }
  Op(const Mma& m) : opcode(Opcode::kMma), raw_{} { mma = m; }
  Op(const VectorWork& v) : opcode(Opcode::kVector), raw_{} { vector = v; }
  Op(const SfuWork& s) : opcode(Opcode::kSfu), raw_{} { sfu = s; }

  static Op wait_full(std::uint32_t stage) { return with_stage(Opcode::kWaitFull, stage); }
  static Op release(std::uint32_t stage) { return with_stage(Opcode::kRelease, stage); }
  static Op wait_empty(std::uint32_t stage) { return with_stage(Opcode::kWaitEmpty, stage); }
  static Op sync() { return Op{}; }
  static Op loop_end() {
    Op op;
    op.opcode = Opcode::kLoopEnd;
    return op;
  }
  static Op loop_begin(std::uint32_t count) {
    Op op;
    op.opcode = Opcode::kLoopBegin;
    op.loop = LoopBegin{count};
    return op;
  }

  // Inline: trace emission and replay call these for every op.
  bool has_stage() const {  // TILE_LOAD, WAIT_FULL, RELEASE, WAIT_EMPTY
    switch (opcode) {
      case Opcode::kTileLoad:
      case Opcode::kWaitFull:
      case Opcode::kRelease:
      case Opcode::kWaitEmpty:
        return true;
      default:
        return false;
    }
  }
  std::uint32_t stage_base() const {
    if (opcode == Opcode::kTileLoad) return load.stage_base;
    return has_stage() ? stage.stage_base : 0;
  }
  void set_stage_base(std::uint32_t s) {
    if (opcode == Opcode::kTileLoad)
      load.stage_base = s;
    else if (has_stage())
      stage.stage_base = s;
  }
  const Box* box() const {  // TILE_LOAD, TILE_STORE; nullptr otherwise
    if (opcode == Opcode::kTileLoad) return &load.box;
    if (opcode == Opcode::kTileStore) return &store.box;
    return nullptr;
  }
  Box* box() { return const_cast<Box*>(static_cast<const Op*>(this)->box()); }

  bool operator==(const Op& other) const;

 private:
  static Op with_stage(Opcode code, std::uint32_t stage) {
    Op op;
    op.opcode = code;
    op.stage = StageRef{stage};
    return op;
  }
};

static_assert(std::is_trivially_copyable_v<Op>);
static_assert(sizeof(TileLoad) <= sizeof(std::uint64_t[6]));

using Stream = std::vector<Op>;

struct Cta {
  std::uint32_t id = 0;  // logical index in the grid (e.g. the output tile); launch order is the
                         // position in Kernel::ctas
  std::vector<Stream> streams;
  bool operator==(const Cta&) const = default;
};

struct Kernel {
  std::string name;
  std::uint32_t threads_per_cta = 0;
  std::uint32_t smem_bytes_per_cta = 0;
  std::uint32_t registers_per_thread = 0;
  std::uint32_t cluster_size = 1;  // CTAs [c*size, (c+1)*size) of the launch order form cluster c
  std::uint32_t num_stages = 1;
  std::vector<Cta> ctas;
  bool operator==(const Kernel&) const = default;
};

struct TensorInfo {
  std::uint32_t id = 0;
  std::string name;
  std::uint64_t base = 0;
  std::uint64_t bytes = 0;
  bool operator==(const TensorInfo&) const = default;
};

struct Trace {
  std::uint32_t version = kTraceVersion;
  std::string family;        // chips of this family can replay it
  std::string recorded_for;  // chip config the planner targeted
  std::string description;
  std::vector<TensorInfo> tensors;
  std::vector<Kernel> kernels;  // run one after another
  bool operator==(const Trace&) const = default;
};

}  // namespace xpusim::trace
