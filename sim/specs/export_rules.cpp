#include "sim/specs/export_rules.hpp"

#include <fmt/format.h>

namespace xpusim::specs {
namespace {

RuleVerdict oct2022(const ExportInputs& in) {
  // Controlled if TPP >= 4800 AND bidirectional chip-to-chip I/O >= 600 GB/s [S28b].
  if (in.tpp < 4800) return {"oct2022", "not controlled", fmt::format("TPP {:.0f} < 4800", in.tpp)};
  if (in.io_gbs < 600)
    return {"oct2022", "not controlled",
            fmt::format("TPP {:.0f} >= 4800 but I/O {:.0f} GB/s < 600", in.tpp, in.io_gbs)};
  return {"oct2022", "controlled",
          fmt::format("TPP {:.0f} >= 4800 and I/O {:.0f} GB/s >= 600", in.tpp, in.io_gbs)};
}

RuleVerdict oct2023(const ExportInputs& in) {
  // 3A090.a: TPP >= 4800, or TPP >= 1600 and PD >= 5.92 [S28,S48].
  if (in.tpp >= 4800) return {"oct2023", "3A090.a", fmt::format("TPP {:.0f} >= 4800", in.tpp)};
  if (in.tpp >= 1600 && in.pd >= 5.92)
    return {"oct2023", "3A090.a",
            fmt::format("TPP {:.0f} >= 1600 and PD {:.2f} >= 5.92", in.tpp, in.pd)};
  // 3A090.b (notification tier).
  if (in.tpp >= 2400 && in.pd >= 1.6)
    return {"oct2023", "3A090.b",
            fmt::format("2400 <= TPP {:.0f} < 4800 and 1.6 <= PD {:.2f} < 5.92", in.tpp, in.pd)};
  if (in.tpp >= 1600 && in.pd >= 3.2)
    return {"oct2023", "3A090.b",
            fmt::format("TPP {:.0f} >= 1600 and 3.2 <= PD {:.2f} < 5.92", in.tpp, in.pd)};
  std::string why;
  if (in.tpp < 1600)
    why = fmt::format("TPP {:.0f} < 1600", in.tpp);
  else if (in.tpp < 2400)
    why = fmt::format("TPP {:.0f} < 2400 and PD {:.2f} < 3.2", in.tpp, in.pd);
  else
    why = fmt::format("PD {:.2f} < 1.6", in.pd);
  return {"oct2023", "outside 3A090", why};
}

RuleVerdict apr2025(const ExportInputs& in) {
  // Letters to vendors; triggers as Intel relayed them [S31,S31b].
  if (in.dram_gbs >= 1400)
    return {"apr2025", "caught", fmt::format("DRAM {:.0f} GB/s >= 1400", in.dram_gbs)};
  if (in.io_gbs >= 1100)
    return {"apr2025", "caught", fmt::format("I/O {:.0f} GB/s >= 1100", in.io_gbs)};
  if (in.dram_gbs + in.io_gbs >= 1700)
    return {"apr2025", "caught",
            fmt::format("DRAM + I/O {:.0f} GB/s >= 1700", in.dram_gbs + in.io_gbs)};
  return {"apr2025", "not caught",
          fmt::format("DRAM {:.0f} < 1400, I/O {:.0f} < 1100, sum {:.0f} < 1700 GB/s", in.dram_gbs,
                      in.io_gbs, in.dram_gbs + in.io_gbs)};
}

RuleVerdict jan2026(const ExportInputs& in) {
  // Case-by-case licensing below TPP 21000 and DRAM 6500 GB/s [S15].
  if (in.tpp < 21000 && in.dram_gbs < 6500)
    return {"jan2026", "case-by-case",
            fmt::format("TPP {:.0f} < 21000 and DRAM {:.0f} GB/s < 6500", in.tpp, in.dram_gbs)};
  return {"jan2026", "above case-by-case",
          in.tpp >= 21000 ? fmt::format("TPP {:.0f} >= 21000", in.tpp)
                          : fmt::format("DRAM {:.0f} GB/s >= 6500", in.dram_gbs)};
}

}  // namespace

std::vector<RuleVerdict> classify_export(const ExportInputs& in) {
  return {oct2022(in), oct2023(in), apr2025(in), jan2026(in)};
}

}  // namespace xpusim::specs
