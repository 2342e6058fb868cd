#pragma once
// The sweep file (docs/sweep.md): targets x --set parameter values x workloads, as a full grid
// or a seeded random sample of it.
//
//   chips: [h100_sxm, h20]            # targets of chip workloads
//   systems: [hgx_h100_8x]            # targets of system workloads (allreduce)
//   parameters:                       # --set key -> values
//     memory.data_rate: [4.8Gb/s, 6.4Gb/s]
//     compute.units: {from: 66, to: 132, step: 22}
//   workloads:
//     - {gemm: 4096x4096x4096, dtype: bf16}
//     - {stream: triad, elements: 1048576}
//   sample: {count: 50, seed: 1}      # optional: 50 distinct grid points instead of all
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/explore/point.hpp"

namespace xpusim::explore {

struct SweepParameter {
  std::string key;  // --set key, e.g. memory.data_rate
  std::vector<std::string> values;
};

struct SweepSpec {
  std::filesystem::path file;
  std::vector<std::string> chips, systems;
  std::vector<SweepParameter> parameters;
  std::vector<Workload> workloads;
  bool sampled = false;
  std::uint64_t sample_count = 0, seed = 0;
};

struct SweepPoint {
  std::uint64_t index = 0;  // position in the full grid (stable under sampling)
  Point point;
  std::vector<std::string> values;  // one per parameter, in the spec's order
};

// Reads and checks a sweep file; errors name the file, line and key.
SweepSpec read_sweep_spec(const std::filesystem::path& file);

// Points of the full grid: for each workload (in file order), each target of its kind (chips or
// systems), each combination of parameter values (the last parameter varying fastest).
std::uint64_t grid_size(const SweepSpec& spec);
// The grid, or the sample: `sample_count` distinct grid indices drawn with a 64-bit Mersenne
// Twister seeded with `seed` (Floyd's algorithm), in grid order. The same file gives the same
// points on any machine.
std::vector<SweepPoint> expand(const SweepSpec& spec);

// The points of shard `shard` of `shards`: every shards-th point of `points` from position
// `shard`.
std::vector<SweepPoint> select_shard(const std::vector<SweepPoint>& points, int shard, int shards);

}  // namespace xpusim::explore
