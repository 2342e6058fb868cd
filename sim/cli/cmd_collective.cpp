// `xpusim collective`: a collective over a system's scale-up fabric, per size as nccl-tests prints.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "sim/cli/context.hpp"
#include "sim/cli/timeline_option.hpp"
#include "sim/common/error.hpp"
#include "sim/report/table.hpp"
#include "workloads/collective/collective.hpp"

namespace xpusim::cli {
namespace {

struct CollectiveOptions {
  std::string system;
  std::string op = "allreduce";
  std::string bytes = "1K..8G";
  std::string algo = "auto";
  std::string proto = "auto";
  bool pcie = false;
  bool verbose = false;
  std::vector<std::string> sets, chip_sets;
  OutputFormat format = OutputFormat::kTable;
  TimelineOption timeline;
};

std::string algo_label(const collective::CollectiveResult& r) {
  if (r.algorithm == "nvls" || r.algorithm == "none") return r.algorithm;
  return r.algorithm + "/" + r.protocol;
}

void run_collective(const CollectiveOptions& opt, const CliContext& ctx) {
  collective::CollectiveRequest req;
  req.op = collective::parse_op(opt.op);
  req.algorithm = collective::parse_algorithm(opt.algo);
  req.protocol = collective::parse_protocol(opt.proto);
  req.force_pcie = opt.pcie;
  const std::vector<std::uint64_t> sizes = collective::parse_byte_range(opt.bytes);
  const config::SystemConfig sys =
      config::load_system(opt.system, ctx.config_dir(), opt.sets, opt.chip_sets);
  const collective::CollectiveModel model = collective::build_model(sys, opt.pcie);
  const auto recorder = make_recorder(opt.timeline);
  if (recorder && sizes.size() != 1)
    throw UserError(fmt::format("--timeline records one run: give one size (--bytes {} is {})",
                                opt.bytes, sizes.size()));
  req.timeline = recorder.get();
  std::vector<collective::CollectiveResult> results;
  for (std::uint64_t b : sizes) {
    req.bytes = b;
    results.push_back(collective::simulate_collective(model, sys.name, req));
  }
  if (recorder) write_timeline(opt.timeline, *recorder);
  switch (opt.format) {
    case OutputFormat::kJson: {
      nlohmann::ordered_json j;
      j["system"] = sys.name;
      j["devices"] = sys.devices;
      j["op"] = collective::to_string(req.op);
      j["fabric"] = model.notes;
      j["results"] = nlohmann::ordered_json::array();
      for (const auto& r : results)
        j["results"].push_back({{"bytes", r.bytes},
                                {"time_us", r.time_s * 1e6},
                                {"algbw_gbs", r.algbw / 1e9},
                                {"busbw_gbs", r.busbw / 1e9},
                                {"algorithm", r.algorithm},
                                {"protocol", r.protocol},
                                {"estimate_us", r.estimate_s * 1e6},
                                {"ops", r.ops},
                                {"messages", r.messages},
                                {"wall_s", r.wall_s}});
      std::cout << j.dump(2) << "\n";
      break;
    }
    case OutputFormat::kCsv: {
      report::Table t({"system", "op", "devices", "bytes", "time_us", "algbw_gbs", "busbw_gbs",
                       "algorithm", "protocol", "wall_s"});
      for (const auto& r : results)
        t.add_row({r.system, r.op, std::to_string(r.devices), std::to_string(r.bytes),
                   fmt::format("{:.6g}", r.time_s * 1e6), fmt::format("{:.6g}", r.algbw / 1e9),
                   fmt::format("{:.6g}", r.busbw / 1e9), r.algorithm, r.protocol,
                   fmt::format("{:.3g}", r.wall_s)});
      std::cout << t.to_csv();
      break;
    }
    case OutputFormat::kTable: {
      std::cout << fmt::format("# {} ({}): {} x {}, {}\n", sys.display_name, sys.name, sys.devices,
                               sys.chip.display_name, collective::to_string(req.op));
      for (const auto& line : model.notes) std::cout << "# " << line << "\n";
      report::Table t({"size", "time_us", "algbw GB/s", "busbw GB/s", "algorithm"});
      for (const auto& r : results)
        t.add_row({std::to_string(r.bytes), fmt::format("{:.2f}", r.time_s * 1e6),
                   fmt::format("{:.2f}", r.algbw / 1e9), fmt::format("{:.2f}", r.busbw / 1e9),
                   algo_label(r)});
      std::cout << t.to_text();
      if (opt.verbose)
        for (const auto& r : results) {
          std::cout << fmt::format(
              "# {} B: {} ops, {} messages, {:.3f} s wall, estimate {:.2f} "
              "us\n",
              r.bytes, r.ops, r.messages, r.wall_s, r.estimate_s * 1e6);
          for (std::size_t i = model.notes.size(); i < r.notes.size(); ++i)
            std::cout << "#   " << r.notes[i] << "\n";
        }
      break;
    }
  }
}

}  // namespace

void register_collective(CLI::App& app, CliContext& ctx) {
  auto opt = std::make_shared<CollectiveOptions>();
  CLI::App* cmd = app.add_subcommand(
      "collective",
      "Simulate a collective over a system's scale-up fabric (links, switches, NVLS) as NCCL "
      "runs it, for one size or a doubling range of sizes; prints time, algbw and busbw as "
      "nccl-tests does (busbw = algbw x 2(n-1)/n for allreduce, (n-1)/n for allgather, "
      "reducescatter and alltoall, 1 for sendrecv).");
  cmd->add_option("--system", opt->system, "system config name or YAML path (configs/systems)")
      ->required();
  cmd->add_option("--op", opt->op,
                  "allreduce (default), allgather, reducescatter, alltoall or sendrecv");
  cmd->add_option("--bytes", opt->bytes,
                  "size in bytes (K, M, G, T binary suffixes) or a range LO..HI, doubling "
                  "(default 1K..8G)");
  cmd->add_option("--algo", opt->algo, "ring, tree, nvls, direct or auto (default: by size)");
  cmd->add_option("--proto", opt->proto, "ll, ll128, simple or auto (default: by size)");
  cmd->add_flag("--pcie", opt->pcie, "ignore the scale-up links: run over PCIe");
  cmd->add_flag("--verbose", opt->verbose, "print chunking and simulation statistics");
  cmd->add_option("--set", opt->sets,
                  "override a system parameter, e.g. --set switch.latency=0.5us")
      ->allow_extra_args(false);
  cmd->add_option("--chip-set", opt->chip_sets,
                  "override a parameter of the system's chip, e.g. --chip-set scale_up.links=8")
      ->allow_extra_args(false);
  add_format_option(cmd, opt->format);
  add_timeline_options(cmd, opt->timeline);
  cmd->callback([opt, &ctx] { run_collective(*opt, ctx); });
}

}  // namespace xpusim::cli
