#pragma once
// Collectives on a multi-chip system: builds the fabric from the SystemConfig, chooses the
// algorithm and protocol (as NCCL's tuner does, from a latency + size / bandwidth estimate),
// emits the trace and replays it on the SystemC fabric model in a fresh simulation context.
// Figures as nccl-tests reports them: algbw = bytes / time, busbw = algbw x the operation's factor.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "models/fabric/fabric_graph.hpp"
#include "sim/config/system_config.hpp"
#include "workloads/collective/algorithms.hpp"

namespace xpusim::timeline {
class Recorder;
}

namespace xpusim::collective {

// Parsers; each throws UserError naming the accepted values.
CollectiveOp parse_op(const std::string& text);
Algorithm parse_algorithm(const std::string& text);
Protocol parse_protocol(const std::string& text);
// "1K", "8G", "512" (binary multiples: K = 1024), or a range "1K..8G" doubling from the first
// size (nccl-tests -f 2): every size from lo up to hi, hi included when reached.
std::vector<std::uint64_t> parse_byte_range(const std::string& text);
std::uint64_t parse_bytes(const std::string& text);
std::string format_bytes(std::uint64_t bytes);

// nccl-tests' bus-bandwidth factor: 2(n-1)/n all-reduce, (n-1)/n all-gather, reduce-scatter and
// all-to-all, 1 send/recv.
double bus_factor(CollectiveOp op, int devices);

struct CollectiveRequest {
  CollectiveOp op = CollectiveOp::kAllReduce;
  std::uint64_t bytes = 0;
  Algorithm algorithm = Algorithm::kAuto;
  Protocol protocol = Protocol::kAuto;
  bool force_pcie = false;                 // run over the PCIe fallback fabric
  timeline::Recorder* timeline = nullptr;  // records the links' busy time when set
};

struct CollectiveResult {
  std::string system, op, algorithm, protocol;
  int devices = 0;
  std::uint64_t bytes = 0;
  double time_s = 0;
  double algbw = 0;   // bytes/s
  double busbw = 0;   // bytes/s
  double wall_s = 0;  // host time the simulation took
  std::uint64_t ops = 0, messages = 0;
  double estimate_s = 0;  // the tuner's estimate for the chosen algorithm
  std::vector<std::string> notes;
};

// Everything the algorithms need, derived from the system (documented in docs/fabric.md).
struct CollectiveModel {
  fabric::Fabric fabric;
  AlgoParams params;              // protocol left at kAuto
  double memory_rate = 0;         // bytes/s of a device's reduction and copy kernels
  Picos memory_latency = 0;       // a device's read latency (NVLS responses)
  std::uint64_t load_window = 0;  // NVLS multimem load bytes a device keeps in flight
  std::vector<std::string> notes;
};
CollectiveModel build_model(const config::SystemConfig& system, bool force_pcie = false);

// Which algorithms can run `op` on this system (NVLS needs a reducing switch all devices share).
std::vector<Algorithm> algorithms_for(const CollectiveModel& model, CollectiveOp op);

struct Choice {
  Algorithm algorithm = Algorithm::kRing;
  Protocol protocol = Protocol::kSimple;
  double estimate_s = 0;
};
// NCCL-style choice: the fastest (algorithm, protocol) by latency + bytes / bandwidth estimates,
// among those allowed by `algo` and `proto` (kAuto: all that can run).
Choice choose(const CollectiveModel& model, CollectiveOp op, std::uint64_t bytes, Algorithm algo,
              Protocol proto);
// The analytic estimate behind choose().
double estimate_time(const CollectiveModel& model, CollectiveOp op, std::uint64_t bytes,
                     Algorithm algo, Protocol proto);

// Builds the trace for a choice.
Trace build_trace(const CollectiveModel& model, CollectiveOp op, std::uint64_t bytes,
                  const Choice& choice);

CollectiveResult simulate_collective(const config::SystemConfig& system,
                                     const CollectiveRequest& request);
CollectiveResult simulate_collective(const CollectiveModel& model, const std::string& system_name,
                                     const CollectiveRequest& request);

// For `xpusim validate` (kind=allreduce rows): the simulated nccl-tests busbw in GB/s (1e9 B/s)
// of an all-reduce of `bytes` with `algo` ("nvls", "ring", "tree", "direct" or "auto").
double simulate_allreduce_busbw(const config::SystemConfig& system, std::uint64_t bytes,
                                const std::string& algo);

// The standard system config for `devices` of `chip` (e.g. h100_sxm x 8 -> hgx_h100_8x): the
// first, by name, of configs/systems/*.yaml that names this chip and device count.
std::string standard_system_for(const std::string& chip, int devices,
                                const std::filesystem::path& config_dir);

}  // namespace xpusim::collective
