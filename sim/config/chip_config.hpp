#pragma once
// A chip, as the timing models need it. Built from configs/chips/<name>.yaml through the
// registry in chip_schema.cpp; every field here is a registered parameter in base SI units
// (bytes, bytes/s, Hz, seconds), unless its name says otherwise.
#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "sim/common/dtype.hpp"
#include "sim/common/kernel_target.hpp"
#include "sim/config/loader.hpp"

namespace xpusim::config {

using DTypeTable = std::array<double, kAllDTypes.size()>;

struct ComputeConfig {
  std::string unit_name = "SM";
  int units = 0;
  double clock = 0;                     // Hz: the clock the datasheet peaks are quoted at
  double boost_clock = 0;               // Hz, informative
  double sustained_clock = 0;           // Hz held under sustained tensor load; defaults to clock
  DTypeTable tensor_flops_per_clock{};  // dense, per unit
  double vector_fp32_flops_per_clock = 0;
  double vector_fp64_flops_per_clock = 0;
  double sfu_ops_per_clock = 0;
  std::uint64_t smem_per_unit = 0;
  std::uint64_t max_smem_per_cta = 0;
  int registers_per_unit = 0;
  int max_threads_per_unit = 0;
  int max_ctas_per_unit = 0;
  int max_cluster_size = 1;
  int mma_rows = 16;  // rows one tensor-core instruction computes: smaller tiles are padded to it
  double tensor_latency = 0;  // SM cycles from an MMA's end to its result being readable
  int mma_sync_rows = 0;      // fragment rows of the warp-level mma.sync path (0: none besides)
  double mma_sync_rate = 1;   // its rate as a fraction of tensor_flops_per_clock
  std::string async_copy = "cp_async";
  std::uint64_t inflight_bytes_per_unit = 0;
  double cta_launch_latency = 0;  // s
};

struct L2Config {
  std::uint64_t size = 0;
  int slices = 0;
  double bandwidth = 0;    // B/s, SM side, all slices
  double hit_latency = 0;  // s
};

struct MemoryTimingConfig {
  // Each in seconds once resolved; `cycles` entries are converted with memory.clock.
  double CL = 0, CWL = 0, tRCD_rd = 0, tRCD_wr = 0, tRP = 0, tRAS = 0, tRC = 0, tFAW = 0,
         tRRD_S = 0, tRRD_L = 0, tCCD_S = 0, tCCD_L = 0, tWR = 0, tWTR_S = 0, tWTR_L = 0, tRTW = 0,
         tRTP = 0, tREFI = 0, tRFC = 0, tRFCpb = 0;
  int burst_length = 8;
};

struct MemoryConfig {
  std::string technology;
  std::uint64_t capacity = 0;
  int stacks = 0;
  int channels_per_stack = 0;
  int pseudo_channels_per_channel = 1;
  int pseudo_channel_width_bits = 0;
  int bank_groups = 0;
  int banks_per_group = 0;
  std::uint64_t row_size = 0;
  double data_rate = 0;  // bytes/s per pin (5.2 Gb/s -> 0.65e9)
  double clock = 0;      // Hz, command clock
  std::uint64_t interleave = 0;
  double access_latency = 0;
  int write_queue_depth = 0;
  std::string refresh_mode;
  MemoryTimingConfig timing;

  double peak_bandwidth() const;  // bytes/s, from the organisation
};

struct LinkConfig {
  std::string technology;
  int links = 0;
  double link_bandwidth = 0;  // B/s per direction per link
  double latency = 0;
  double bidirectional_bandwidth() const { return 2.0 * links * link_bandwidth; }
};

// Multi-die packages: compute dies share one address space interleaved over the memory dies (the
// dies that own HBM stacks and their memory-side cache); a unit's access to memory homed on another
// memory die crosses a die-to-die link (models/fabric/die_link.hpp, docs/fabric.md).
struct DieToDieConfig {
  int dies = 1;          // compute dies; units are split evenly among them
  int memory_dies = 0;   // dies owning HBM and L2; compute dies group evenly over them (0: = dies)
  double bandwidth = 0;  // B/s per direction, between each pair of memory dies
  double latency = 0;    // added to an access that crosses
  std::uint64_t interleave = 4096;    // bytes on one memory die before the next
  std::uint64_t packet_payload = 64;  // data bytes per link packet
  std::uint64_t packet_header = 16;   // overhead bytes per packet (header, CRC, framing)
  int memory_die_count() const { return memory_dies > 0 ? memory_dies : dies; }
};

struct PcieConfig {
  int generation = 0;
  int lanes = 0;
  double bandwidth = 0;  // B/s per direction
};

// Published figures, kept to compare with what the structure derives.
struct DatasheetConfig {
  DTypeTable tflops{};  // dense TFLOPS (TOPS for int8); 0 where not published
  double memory_bandwidth = 0;
  double scale_up_bandwidth = 0;  // bidirectional
};

// Power under load: the clock falls until power fits the TDP (dynamic power ~ f^3, as voltage
// follows frequency). Energies are at compute.sustained_clock's voltage; 0 turns the limit off.
struct PowerConfig {
  double idle_w = 0;                // clocks up, nothing running
  DTypeTable tensor_pj_per_flop{};  // energy per dense tensor FLOP, by dtype
  double dram_pj_per_byte = 0;      // DRAM access and I/O energy per byte moved
  bool enabled() const {
    for (double e : tensor_pj_per_flop)
      if (e > 0) return true;
    return false;
  }
};

struct ChipConfig {
  std::string name, display_name, vendor, family, process;
  std::filesystem::path file;
  double die_area_mm2 = 0;
  double tdp_w = 0;
  double price_usd = 0;
  double rental_usd_per_hour = 0;
  double launch_overhead = 0;  // s
  ComputeConfig compute;
  L2Config l2;
  MemoryConfig memory;
  LinkConfig scale_up;
  DieToDieConfig die_to_die;
  PcieConfig pcie;
  DatasheetConfig datasheet;
  PowerConfig power;
  // Key path -> note, for every value marked {value:, estimate:} in the file chain.
  std::map<std::string, std::string> estimates;

  // Dense peak FLOP/s for a dtype derived from units x clock x rate.
  double peak_flops(DType d) const;
  KernelTarget kernel_target() const;
  bool is_estimate(const std::string& path) const { return estimates.count(path) > 0; }
};

// The registry of chip parameters (for the loader and `describe`).
const std::vector<Binding<ChipConfig>>& chip_bindings();

// Loads a chip by name from `config_dir`/chips/<name>.yaml, or from a path to a YAML file.
// `files` is where the YAML is read from (the file system unless a caller says otherwise).
ChipConfig load_chip(const std::string& name_or_path, const std::filesystem::path& config_dir,
                     const std::vector<std::string>& sets = {},
                     const ConfigFiles& files = disk_config_files());

// Names of every chip config in `config_dir`/chips, sorted.
std::vector<std::string> list_configs(const std::filesystem::path& dir,
                                      const ConfigFiles& files = disk_config_files());

// Finds `name` in `dir` (`dir`/name.yaml) or takes it as a path; unknown names get a suggestion.
std::filesystem::path resolve_config(const std::string& name_or_path,
                                     const std::filesystem::path& dir, const char* what,
                                     const ConfigFiles& files = disk_config_files());

}  // namespace xpusim::config
