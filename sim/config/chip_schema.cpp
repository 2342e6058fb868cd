// The registry of chip parameters: each is declared once here with type, unit, range, default
// and description; the loader validates files against it and `xpusim describe` prints it.
#include <fmt/format.h>

#include "sim/config/chip_config.hpp"

namespace xpusim::config {
namespace {

using P = ParamBuilder<ChipConfig>;
using T = ParamType;
using U = UnitKind;

void identity(std::vector<Binding<ChipConfig>>& r) {
  P(r, "name", T::kString).required().desc("config name; must equal the file name").store(field([
  ](ChipConfig & c) -> auto& { return c.name; }));
  P(r, "base", T::kString)
      .desc("config this one inherits from (same folder); the file lists overrides");
  P(r, "display_name", T::kString).required().desc("human-readable product name").store(field([
  ](ChipConfig & c) -> auto& { return c.display_name; }));
  P(r, "vendor", T::kEnum)
      .required()
      .choices({"nvidia", "amd", "huawei", "cambricon", "biren", "intel"})
      .desc("vendor")
      .store(field([](ChipConfig & c) -> auto& { return c.vendor; }));
  P(r, "family", T::kString)
      .required()
      .desc("architecture family; traces replay across chips of one family")
      .store(field([](ChipConfig & c) -> auto& { return c.family; }));
  P(r, "process", T::kString).dflt("unknown").desc("fabrication process").store(field([
  ](ChipConfig & c) -> auto& { return c.process; }));
  P(r, "die_area", T::kQuantity)
      .unit(U::kArea)
      .required()
      .positive()
      .max(10000)
      .desc("applicable die area for the export rules' performance density")
      .store(field([](ChipConfig & c) -> auto& { return c.die_area_mm2; }));
  P(r, "tdp", T::kQuantity)
      .unit(U::kPower)
      .required()
      .positive()
      .max(5000)
      .desc("board power")
      .store(field([](ChipConfig & c) -> auto& { return c.tdp_w; }));
  P(r, "price_usd", T::kNumber)
      .dflt("0")
      .min(0)
      .desc("purchase price per chip in USD (0 = unknown)")
      .store(field([](ChipConfig & c) -> auto& { return c.price_usd; }));
  P(r, "rental_usd_per_hour", T::kNumber)
      .dflt("0")
      .min(0)
      .desc("rental price per chip-hour in USD (0 = unknown)")
      .store(field([](ChipConfig & c) -> auto& { return c.rental_usd_per_hour; }));
  P(r, "launch_overhead", T::kQuantity)
      .unit(U::kTime)
      .dflt("4 us")
      .min(0)
      .max(1e-3)
      .desc("host-side launch plus kernel start per kernel, as a timed library call sees it")
      .store(field([](ChipConfig & c) -> auto& { return c.launch_overhead; }));
}

void compute(std::vector<Binding<ChipConfig>>& r) {
  P(r, "compute.unit_name", T::kString)
      .dflt("SM")
      .desc("what a compute unit is called (SM, CU, AI core)")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.unit_name; }));
  P(r, "compute.units", T::kInt)
      .required()
      .min(1)
      .max(100000)
      .desc("enabled compute units")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.units; }));
  P(r, "compute.clock", T::kQuantity)
      .unit(U::kFrequency)
      .required()
      .positive()
      .max(10e9)
      .desc("clock the datasheet peaks are quoted at; peaks = units x clock x rate")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.clock; }));
  P(r, "compute.boost_clock", T::kQuantity)
      .unit(U::kFrequency)
      .positive()
      .max(10e9)
      .desc("maximum boost clock (informative)")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.boost_clock; }));
  P(r, "compute.sustained_clock", T::kQuantity)
      .unit(U::kFrequency)
      .positive()
      .max(10e9)
      .desc("clock held under sustained tensor load (power limit); defaults to compute.clock")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.sustained_clock; }));
  for (DType d : kAllDTypes) {
    const int i = static_cast<int>(d);
    P(r, fmt::format("compute.tensor_flops_per_clock.{}", dtype_name(d)), T::kNumber)
        .dflt("0")
        .min(0)
        .max(1e6)
        .desc(fmt::format("dense {} matrix FLOP per clock per unit (2 per FMA; 0 = unsupported)",
                          dtype_name(d)))
        .store([i](ChipConfig& c, const ParamValue& v) {
          c.compute.tensor_flops_per_clock[i] = v.number;
        });
  }
  P(r, "compute.vector_flops_per_clock.fp32", T::kNumber)
      .dflt("0")
      .min(0)
      .desc("FP32 vector FLOP per clock per unit")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.vector_fp32_flops_per_clock; }));
  P(r, "compute.vector_flops_per_clock.fp64", T::kNumber)
      .dflt("0")
      .min(0)
      .desc("FP64 vector FLOP per clock per unit")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.vector_fp64_flops_per_clock; }));
  P(r, "compute.sfu_ops_per_clock", T::kNumber)
      .dflt("16")
      .positive()
      .desc("special-function (exp, rsqrt) results per clock per unit")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.sfu_ops_per_clock; }));
  P(r, "compute.smem_per_unit", T::kQuantity)
      .unit(U::kSize)
      .required()
      .positive()
      .desc("shared memory / local buffer per unit")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.smem_per_unit; }));
  P(r, "compute.max_smem_per_cta", T::kQuantity)
      .unit(U::kSize)
      .required()
      .positive()
      .desc("shared memory one CTA may allocate")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.max_smem_per_cta; }));
  P(r, "compute.registers_per_unit", T::kInt)
      .dflt("65536")
      .min(1)
      .desc("32-bit registers per unit")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.registers_per_unit; }));
  P(r, "compute.max_threads_per_unit", T::kInt)
      .dflt("2048")
      .min(1)
      .desc("resident threads per unit")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.max_threads_per_unit; }));
  P(r, "compute.max_ctas_per_unit", T::kInt)
      .dflt("32")
      .min(1)
      .desc("resident CTAs (thread blocks) per unit")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.max_ctas_per_unit; }));
  P(r, "compute.max_cluster_size", T::kInt)
      .dflt("1")
      .min(1)
      .max(32)
      .desc("CTAs per cluster sharing loads by multicast")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.max_cluster_size; }));
  P(r, "compute.mma_rows", T::kInt)
      .dflt("16")
      .min(1)
      .max(256)
      .desc(
          "rows one tensor-core instruction computes (Ampere mma 16, Hopper wgmma 64); fewer rows "
          "are padded")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.mma_rows; }));
  P(r, "compute.mma_sync_rows", T::kInt)
      .dflt("0")
      .min(0)
      .max(256)
      .desc(
          "rows of the warp-level tensor instruction (mma.sync m16n8k16: 16) where it differs from "
          "mma_rows; an MMA of few rows (decode) runs on whichever path finishes it first. 0: no "
          "second path")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.mma_sync_rows; }));
  P(r, "compute.mma_sync_rate", T::kNumber)
      .dflt("1")
      .min(0.01)
      .max(1)
      .desc(
          "throughput of the mma_sync_rows path as a fraction of tensor_flops_per_clock "
          "(dimensionless)")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.mma_sync_rate; }));
  P(r, "compute.tensor_latency", T::kNumber)
      .dflt("0")
      .min(0)
      .max(10000)
      .desc(
          "SM clock cycles from an MMA leaving the tensor pipe to special-function work (the "
          "softmax exponentials) reading its result (wgmma.wait_group); following MMAs are not "
          "delayed")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.tensor_latency; }));
  P(r, "compute.async_copy", T::kEnum)
      .dflt("cp_async")
      .choices({"none", "cp_async", "tma"})
      .desc("asynchronous global-to-shared copy engine")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.async_copy; }));
  P(r, "compute.inflight_bytes_per_unit", T::kQuantity)
      .unit(U::kSize)
      .dflt("0 B")
      .min(0)
      .desc(
          "outstanding load bytes one unit sustains; 0 = its shared memory, where stage loads land")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.inflight_bytes_per_unit; }));
  P(r, "compute.cta_launch_latency", T::kQuantity)
      .unit(U::kTime)
      .dflt("0 ns")
      .min(0)
      .max(1e-3)
      .desc("CTA dispatch and prologue before its first instruction")
      .store(field([](ChipConfig & c) -> auto& { return c.compute.cta_launch_latency; }));
}

void l2(std::vector<Binding<ChipConfig>>& r) {
  P(r, "l2.size", T::kQuantity)
      .unit(U::kSize)
      .required()
      .positive()
      .desc("last-level on-chip cache (L2 / Infinity Cache / SRAM)")
      .store(field([](ChipConfig & c) -> auto& { return c.l2.size; }));
  P(r, "l2.slices", T::kInt)
      .required()
      .min(1)
      .max(4096)
      .desc(
          "cache slices (informative: lines hash evenly over slices, so the model keeps one pool "
          "with l2.bandwidth)")
      .store(field([](ChipConfig & c) -> auto& { return c.l2.slices; }));
  P(r, "l2.bandwidth", T::kQuantity)
      .unit(U::kBandwidth)
      .required()
      .positive()
      .desc("aggregate L2-to-unit bandwidth")
      .store(field([](ChipConfig & c) -> auto& { return c.l2.bandwidth; }));
  P(r, "l2.hit_latency", T::kQuantity)
      .unit(U::kTime)
      .required()
      .positive()
      .max(1e-5)
      .desc("load-to-use latency of an L2 hit")
      .store(field([](ChipConfig & c) -> auto& { return c.l2.hit_latency; }));
}

void memory(std::vector<Binding<ChipConfig>>& r) {
  P(r, "memory.technology", T::kEnum)
      .required()
      .choices({"hbm2", "hbm2e", "hbm3", "hbm3e", "gddr6", "lpddr5"})
      .desc("DRAM technology")
      .store(field([](ChipConfig & c) -> auto& { return c.memory.technology; }));
  P(r, "memory.capacity", T::kQuantity)
      .unit(U::kSize)
      .required()
      .positive()
      .desc("device memory capacity")
      .store(field([](ChipConfig & c) -> auto& { return c.memory.capacity; }));
  P(r, "memory.stacks", T::kInt)
      .required()
      .min(1)
      .max(32)
      .desc("DRAM stacks (HBM sites populated)")
      .store(field([](ChipConfig & c) -> auto& { return c.memory.stacks; }));
  P(r, "memory.channels_per_stack", T::kInt)
      .required()
      .min(1)
      .max(64)
      .desc("independent channels per stack")
      .store(field([](ChipConfig & c) -> auto& { return c.memory.channels_per_stack; }));
  P(r, "memory.pseudo_channels_per_channel", T::kInt)
      .dflt("2")
      .min(1)
      .max(4)
      .desc("pseudo-channels per channel")
      .store(field([](ChipConfig & c) -> auto& { return c.memory.pseudo_channels_per_channel; }));
  P(r, "memory.pseudo_channel_width", T::kQuantity)
      .unit(U::kBits)
      .required()
      .positive()
      .max(1024)
      .desc("data bits per pseudo-channel")
      .store([](ChipConfig& c, const ParamValue& v) {
        c.memory.pseudo_channel_width_bits = static_cast<int>(v.number);
      });
  P(r, "memory.bank_groups", T::kInt)
      .required()
      .min(1)
      .max(16)
      .desc("bank groups per pseudo-channel")
      .store(field([](ChipConfig & c) -> auto& { return c.memory.bank_groups; }));
  P(r, "memory.banks_per_group", T::kInt)
      .required()
      .min(1)
      .max(16)
      .desc("banks per bank group")
      .store(field([](ChipConfig & c) -> auto& { return c.memory.banks_per_group; }));
  P(r, "memory.row_size", T::kQuantity)
      .unit(U::kSize)
      .required()
      .min(32)
      .max(65536)
      .desc("DRAM page (row) size per pseudo-channel")
      .store(field([](ChipConfig & c) -> auto& { return c.memory.row_size; }));
  P(r, "memory.data_rate", T::kQuantity)
      .unit(U::kBandwidth)
      .required()
      .positive()
      .desc("data rate per pin (e.g. 5.2 Gb/s)")
      .store(field([](ChipConfig & c) -> auto& { return c.memory.data_rate; }));
  P(r, "memory.clock", T::kQuantity)
      .unit(U::kFrequency)
      .required()
      .positive()
      .max(10e9)
      .desc("DRAM command clock; timing given in cycles counts this clock")
      .store(field([](ChipConfig & c) -> auto& { return c.memory.clock; }));
  P(r, "memory.interleave", T::kQuantity)
      .unit(U::kSize)
      .dflt("256 B")
      .min(32)
      .max(1 << 20)
      .desc("bytes mapped to one pseudo-channel before the next")
      .store(field([](ChipConfig & c) -> auto& { return c.memory.interleave; }));
  P(r, "memory.access_latency", T::kQuantity)
      .unit(U::kTime)
      .required()
      .min(0)
      .max(1e-5)
      .desc("idle load-to-use latency outside the DRAM core (NoC, controller, PHY)")
      .store(field([](ChipConfig & c) -> auto& { return c.memory.access_latency; }));
  P(r, "memory.write_queue_depth", T::kInt)
      .dflt("32")
      .min(1)
      .max(1024)
      .desc("writes buffered per pseudo-channel before the controller drains them")
      .store(field([](ChipConfig & c) -> auto& { return c.memory.write_queue_depth; }));
  P(r, "memory.refresh_mode", T::kEnum)
      .dflt("per_bank")
      .choices({"all_bank", "per_bank"})
      .desc("refresh command the controller uses")
      .store(field([](ChipConfig & c) -> auto& { return c.memory.refresh_mode; }));
  struct TimingParam {
    const char* key;
    double MemoryTimingConfig::*member;
    const char* what;
  };
  static constexpr TimingParam kTiming[] = {
      {"CL", &MemoryTimingConfig::CL, "read column command to first data"},
      {"CWL", &MemoryTimingConfig::CWL, "write column command to first data"},
      {"tRCD_rd", &MemoryTimingConfig::tRCD_rd, "activate to read command"},
      {"tRCD_wr", &MemoryTimingConfig::tRCD_wr, "activate to write command"},
      {"tRP", &MemoryTimingConfig::tRP, "precharge to activate"},
      {"tRAS", &MemoryTimingConfig::tRAS, "activate to precharge"},
      {"tRC", &MemoryTimingConfig::tRC, "activate to activate, same bank"},
      {"tFAW", &MemoryTimingConfig::tFAW, "window holding at most four activates"},
      {"tRRD_S", &MemoryTimingConfig::tRRD_S, "activate to activate, different bank group"},
      {"tRRD_L", &MemoryTimingConfig::tRRD_L, "activate to activate, same bank group"},
      {"tCCD_S", &MemoryTimingConfig::tCCD_S, "column to column, different bank group"},
      {"tCCD_L", &MemoryTimingConfig::tCCD_L, "column to column, same bank group"},
      {"tWR", &MemoryTimingConfig::tWR, "write recovery before precharge"},
      {"tWTR_S", &MemoryTimingConfig::tWTR_S, "write to read turnaround, different bank group"},
      {"tWTR_L", &MemoryTimingConfig::tWTR_L, "write to read turnaround, same bank group"},
      {"tRTW", &MemoryTimingConfig::tRTW, "read to write turnaround"},
      {"tRTP", &MemoryTimingConfig::tRTP, "read to precharge"},
      {"tREFI", &MemoryTimingConfig::tREFI, "refresh interval"},
      {"tRFC", &MemoryTimingConfig::tRFC, "all-bank refresh cycle time"},
      {"tRFCpb", &MemoryTimingConfig::tRFCpb, "per-bank refresh cycle time"},
  };
  for (const TimingParam& t : kTiming) {
    const auto member = t.member;
    P(r, std::string("memory.timing.") + t.key, T::kQuantity)
        .unit(U::kTime)
        .cycles_of("memory.clock")
        .required()
        .min(0)
        .max(1e-4)
        .desc(t.what)
        .store(
            [member](ChipConfig& c, const ParamValue& v) { c.memory.timing.*member = v.number; });
  }
  P(r, "memory.timing.burst_length", T::kInt)
      .required()
      .min(1)
      .max(32)
      .desc("burst length (data beats per column command)")
      .store(field([](ChipConfig & c) -> auto& { return c.memory.timing.burst_length; }));
}

void links(std::vector<Binding<ChipConfig>>& r) {
  P(r, "scale_up.technology", T::kString)
      .required()
      .desc("scale-up link (nvlink4, infinity_fabric, ub, ...)")
      .store(field([](ChipConfig & c) -> auto& { return c.scale_up.technology; }));
  P(r, "scale_up.links", T::kInt)
      .required()
      .min(0)
      .max(1024)
      .desc("scale-up links per chip")
      .store(field([](ChipConfig & c) -> auto& { return c.scale_up.links; }));
  P(r, "scale_up.link_bandwidth", T::kQuantity)
      .unit(U::kBandwidth)
      .required()
      .min(0)
      .desc("bandwidth per link, per direction")
      .store(field([](ChipConfig & c) -> auto& { return c.scale_up.link_bandwidth; }));
  P(r, "scale_up.latency", T::kQuantity)
      .unit(U::kTime)
      .required()
      .min(0)
      .max(1e-3)
      .desc("one-way latency of a small message between two chips")
      .store(field([](ChipConfig & c) -> auto& { return c.scale_up.latency; }));
  P(r, "die_to_die.dies", T::kInt)
      .dflt("1")
      .min(1)
      .max(16)
      .desc("compute dies in the package")
      .store(field([](ChipConfig & c) -> auto& { return c.die_to_die.dies; }));
  P(r, "die_to_die.bandwidth", T::kQuantity)
      .unit(U::kBandwidth)
      .dflt("0 B/s")
      .min(0)
      .desc("die-to-die link bandwidth per direction, between each pair of memory dies")
      .store(field([](ChipConfig & c) -> auto& { return c.die_to_die.bandwidth; }));
  P(r, "die_to_die.latency", T::kQuantity)
      .unit(U::kTime)
      .dflt("0 ns")
      .min(0)
      .max(1e-4)
      .desc("latency added once to an access that crosses dies (request and response together)")
      .store(field([](ChipConfig & c) -> auto& { return c.die_to_die.latency; }));
  P(r, "die_to_die.memory_dies", T::kInt)
      .dflt("0")
      .min(0)
      .max(16)
      .desc(
          "dies that own HBM stacks and the L2 (memory-side) slices in front of them; compute dies "
          "group evenly over them (0: every compute die owns memory)")
      .store(field([](ChipConfig & c) -> auto& { return c.die_to_die.memory_dies; }));
  P(r, "die_to_die.interleave", T::kQuantity)
      .unit(U::kSize)
      .dflt("4 KiB")
      .min(32)
      .max(1 << 30)
      .desc(
          "address interleave across memory dies: bytes on one die before the next (a multiple of "
          "memory.interleave)")
      .store(field([](ChipConfig & c) -> auto& { return c.die_to_die.interleave; }));
  P(r, "die_to_die.packet_payload", T::kQuantity)
      .unit(U::kSize)
      .dflt("64 B")
      .min(1)
      .max(4096)
      .desc("data bytes per die-to-die packet")
      .store(field([](ChipConfig & c) -> auto& { return c.die_to_die.packet_payload; }));
  P(r, "die_to_die.packet_header", T::kQuantity)
      .unit(U::kSize)
      .dflt("16 B")
      .min(0)
      .max(4096)
      .desc("overhead bytes per die-to-die packet (header, CRC, framing)")
      .store(field([](ChipConfig & c) -> auto& { return c.die_to_die.packet_header; }));
  P(r, "pcie.generation", T::kInt).required().min(1).max(7).desc("PCIe generation").store(field([
  ](ChipConfig & c) -> auto& { return c.pcie.generation; }));
  P(r, "pcie.lanes", T::kInt).required().min(1).max(32).desc("PCIe lanes").store(field([
  ](ChipConfig & c) -> auto& { return c.pcie.lanes; }));
  P(r, "pcie.bandwidth", T::kQuantity)
      .unit(U::kBandwidth)
      .required()
      .positive()
      .desc("PCIe bandwidth per direction")
      .store(field([](ChipConfig & c) -> auto& { return c.pcie.bandwidth; }));
}

void datasheet(std::vector<Binding<ChipConfig>>& r) {
  for (DType d : kAllDTypes) {
    const int i = static_cast<int>(d);
    const std::string key =
        d == DType::kInt8 ? "int8_tops" : fmt::format("{}_tflops", dtype_name(d));
    P(r, "datasheet." + key, T::kNumber)
        .min(0)
        .desc(fmt::format("published dense {} peak (compared with the derived one)", dtype_name(d)))
        .store([i](ChipConfig& c, const ParamValue& v) { c.datasheet.tflops[i] = v.number; });
  }
  P(r, "datasheet.memory_bandwidth", T::kQuantity)
      .unit(U::kBandwidth)
      .min(0)
      .desc("published memory bandwidth")
      .store(field([](ChipConfig & c) -> auto& { return c.datasheet.memory_bandwidth; }));
  P(r, "datasheet.scale_up_bandwidth", T::kQuantity)
      .unit(U::kBandwidth)
      .min(0)
      .desc("published bidirectional scale-up bandwidth")
      .store(field([](ChipConfig & c) -> auto& { return c.datasheet.scale_up_bandwidth; }));
}

void power(std::vector<Binding<ChipConfig>>& r) {
  P(r, "power.idle", T::kQuantity)
      .unit(U::kPower)
      .dflt("0 W")
      .min(0)
      .max(5000)
      .desc("power with clocks up and nothing running")
      .store(field([](ChipConfig & c) -> auto& { return c.power.idle_w; }));
  for (DType d : kAllDTypes) {
    const int i = static_cast<int>(d);
    P(r, fmt::format("power.tensor_pj_per_flop.{}", dtype_name(d)), T::kNumber)
        .dflt("0")
        .min(0)
        .max(1000)
        .desc(fmt::format("energy per dense {} tensor FLOP in pJ at the sustained clock (0: no "
                          "power limit from it)",
                          dtype_name(d)))
        .store(
            [i](ChipConfig& c, const ParamValue& v) { c.power.tensor_pj_per_flop[i] = v.number; });
  }
  P(r, "power.dram_pj_per_byte", T::kNumber)
      .dflt("0")
      .min(0)
      .max(10000)
      .desc("DRAM energy per byte moved, in pJ")
      .store(field([](ChipConfig & c) -> auto& { return c.power.dram_pj_per_byte; }));
}

std::vector<Binding<ChipConfig>> make_bindings() {
  std::vector<Binding<ChipConfig>> r;
  identity(r);
  compute(r);
  l2(r);
  memory(r);
  links(r);
  datasheet(r);
  power(r);
  return r;
}

}  // namespace

const std::vector<Binding<ChipConfig>>& chip_bindings() {
  static const std::vector<Binding<ChipConfig>> bindings = make_bindings();
  return bindings;
}

}  // namespace xpusim::config
