#include "sim/fuzzing/entry_points.hpp"

#include <fmt/format.h>

#include <boost/crc.hpp>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "sim/common/error.hpp"
#include "sim/config/chip_config.hpp"
#include "sim/config/system_config.hpp"
#include "sim/run/workload_spec.hpp"
#include "sim/specs/chip_metrics.hpp"
#include "sim/trace/trace_check.hpp"
#include "sim/trace/trace_io.hpp"
#include "sim/trace/trace_stats.hpp"
#include "workloads/attention/attention_plan.hpp"
#include "workloads/attention/attention_trace.hpp"
#include "workloads/gemm/gemm_plan.hpp"
#include "workloads/gemm/gemm_trace.hpp"

namespace xpusim::fuzzing {
namespace fs = std::filesystem;

namespace {

// Workloads above this many FLOPs (or STREAM elements) are planned but not emitted: emission grows
// with the work and would make one input take up to seconds (the fuzzer wants thousands a second).
constexpr double kMaxEmittedFlops = 1 << 30;
constexpr std::uint64_t kMaxEmittedStreamElements = std::uint64_t{1} << 20;
// A trace holds every CTA: a thin GEMM (245608219x1x2) is few FLOPs but 1.9 M CTAs and gigabytes,
// and an attention of 17560 one-token sequences x 33 heads is 0.3 GFLOP in 579 k CTAs (180 s).
constexpr std::uint64_t kMaxEmittedCtas = std::uint64_t{1} << 16;

// An internal contract broken: report and abort, so that libFuzzer (and gtest, as a death) keeps
// the input.
[[noreturn]] void contract_broken(const std::string& what) {
  std::cerr << "fuzz contract broken: " << what << '\n';
  std::abort();
}

struct ConfigSections {
  std::string chip, base, system;
  std::vector<std::string> sets;
  bool has_base = false, has_system = false;
};

ConfigSections split_config_input(std::string_view input) {
  ConfigSections out;
  std::string* target = &out.chip;
  bool in_sets = false;
  while (!input.empty()) {
    const std::size_t eol = input.find('\n');
    const std::string_view line = input.substr(0, eol);
    input = eol == std::string_view::npos ? std::string_view{} : input.substr(eol + 1);
    if (line == "#@base") {
      target = &out.base, in_sets = false, out.has_base = true;
    } else if (line == "#@system") {
      target = &out.system, in_sets = false, out.has_system = true;
    } else if (line == "#@set") {
      in_sets = true;
    } else if (in_sets) {
      out.sets.emplace_back(line);
    } else {
      target->append(line);
      target->push_back('\n');
    }
  }
  return out;
}

std::optional<trace::Trace> read_or_reject(std::string_view bytes) {
  try {
    return trace::read_trace(bytes, "fuzz input");
  } catch (const UserError&) {
    return std::nullopt;
  }
}

// What was read must survive a write and a read in both forms unchanged.
void check_round_trip(const trace::Trace& t) {
  for (trace::TraceFormat f : {trace::TraceFormat::kBinary, trace::TraceFormat::kJson}) {
    const std::string written = trace::write_trace(t, f);
    if (trace::read_trace(written, "round trip") != t)
      contract_broken(fmt::format("trace changed in a {} round trip",
                                  f == trace::TraceFormat::kJson ? "JSON" : "binary"));
  }
  (void)trace::summarize(t);
}

// The header's length and CRC-32 made to agree with the payload that follows it.
std::string with_fixed_header(std::string_view bytes) {
  std::string fixed(bytes);
  const std::string_view payload = bytes.substr(trace::kBinaryHeaderBytes);
  boost::crc_32_type crc;
  crc.process_bytes(payload.data(), payload.size());
  const std::uint32_t sum = crc.checksum();
  const std::uint64_t length = payload.size();
  for (int i = 0; i < 4; ++i) fixed[12 + i] = static_cast<char>(sum >> (8 * i));
  for (int i = 0; i < 8; ++i) fixed[16 + i] = static_cast<char>(length >> (8 * i));
  return fixed;
}

std::string_view next_line(std::string_view& rest) {
  const std::size_t eol = rest.find('\n');
  const std::string_view line = rest.substr(0, eol);
  rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
  return line;
}

void check_emitted(const trace::Trace& t) {
  try {
    trace::validate_trace(t, "emitted trace");
  } catch (const UserError& e) {
    contract_broken(std::string("a planner emitted an invalid trace: ") + e.what());
  }
}

run::WorkloadSpec parse_workload(std::string_view header, std::string_view spec) {
  const std::size_t space = header.find(' ');
  const std::string_view kind = header.substr(0, space);
  std::optional<DType> dtype;
  if (space != std::string_view::npos) {
    const std::string_view name = header.substr(space + 1);
    dtype = parse_dtype(name);
    if (!dtype) throw UserError(fmt::format("unknown dtype '{}'", name));
  }
  if (kind == "gemm") return run::gemm_spec(std::string(spec), dtype.value_or(DType::kBf16));
  if (kind == "attention") return run::attention_spec(std::string(spec), dtype);
  if (kind == "stream") {
    const std::size_t cut = spec.find(' ');
    std::uint64_t elements = stream::kBabelStreamDefaultElements;
    if (cut != std::string_view::npos) {
      const std::string_view count = spec.substr(cut + 1);
      auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), elements);
      if (ec != std::errc() || end != count.data() + count.size())
        throw UserError(fmt::format("--elements '{}' is not a whole number", count));
    }
    return run::stream_spec(std::string(spec.substr(0, cut)), dtype.value_or(DType::kFp64),
                            elements);
  }
  throw UserError(fmt::format("unknown workload kind '{}'", kind));
}

}  // namespace

Outcome fuzz_config(std::string_view input, ConfigFuzzFiles& files) {
  ConfigSections s = split_config_input(input);
  files.put("chips", "fuzz_chip", std::move(s.chip));
  files.put("chips", "fuzz_base", s.has_base ? std::optional(std::move(s.base)) : std::nullopt);
  files.put("systems", "fuzz_system",
            s.has_system ? std::optional(std::move(s.system)) : std::nullopt);
  const fs::path& dir = ConfigFuzzFiles::root();
  try {
    if (s.has_system) {
      const config::SystemConfig sys = config::load_system("fuzz_system", dir, s.sets, {}, files);
      (void)specs::compute_metrics(sys);
    } else {
      const config::ChipConfig chip = config::load_chip("fuzz_chip", dir, s.sets, files);
      (void)specs::compute_metrics(chip);
      (void)chip.kernel_target();
    }
  } catch (const UserError&) {
    return Outcome::kRejected;
  }
  return Outcome::kAccepted;
}

ConfigFuzzFiles default_config_fuzz_files() {
  return ConfigFuzzFiles(fs::path(XPUSIM_SOURCE_DIR) / "configs");
}

Outcome fuzz_workload(std::string_view input, const KernelTarget& target) {
  const std::string_view header = next_line(input);
  const std::string_view spec = next_line(input);
  try {
    const run::WorkloadSpec w = parse_workload(header, spec);
    switch (w.kind) {
      case run::WorkloadSpec::Kind::kGemm: {
        const gemm::GemmPlan plan = gemm::plan_gemm(w.gemm, target);
        if (w.gemm.flops() <= kMaxEmittedFlops && plan.ctas <= kMaxEmittedCtas)
          check_emitted(gemm::emit_gemm_trace(w.gemm, plan, target));
        break;
      }
      case run::WorkloadSpec::Kind::kAttention: {
        const attention::AttentionPlan plan = attention::plan_attention(w.attention, target);
        if (w.attention.flops() <= kMaxEmittedFlops && plan.work.size() <= kMaxEmittedCtas)
          check_emitted(attention::emit_attention_trace(w.attention, plan, target));
        break;
      }
      case run::WorkloadSpec::Kind::kStream:
        if (w.stream_elements <= kMaxEmittedStreamElements)
          check_emitted(stream::emit_stream_trace(w.stream_op, target, w.stream_elements, w.dtype));
        break;
    }
  } catch (const UserError&) {
    return Outcome::kRejected;
  }
  return Outcome::kAccepted;
}

Outcome fuzz_trace(std::string_view input) {
  Outcome outcome = Outcome::kRejected;
  if (std::optional<trace::Trace> t = read_or_reject(input)) {
    check_round_trip(*t);
    outcome = Outcome::kAccepted;
  }
  if (input.size() >= trace::kBinaryHeaderBytes && input.starts_with(trace::kBinaryMagic)) {
    const std::string fixed = with_fixed_header(input);
    if (std::optional<trace::Trace> t = fixed == input ? std::nullopt : read_or_reject(fixed)) {
      check_round_trip(*t);
      outcome = Outcome::kAccepted;
    }
  }
  return outcome;
}

KernelTarget default_fuzz_target() {
  return config::load_chip("h100_sxm", fs::path(XPUSIM_SOURCE_DIR) / "configs").kernel_target();
}

}  // namespace xpusim::fuzzing
