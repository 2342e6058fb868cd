#include "sim/trace/trace.hpp"

#include <array>

namespace xpusim::trace {
namespace {

constexpr std::array<std::string_view, kMaxOpcode + 1> kOpcodeNames = {
    "?",      "TILE_LOAD", "WAIT_FULL",  "RELEASE", "WAIT_EMPTY", "MMA",
    "VECTOR", "SFU",       "TILE_STORE", "SYNC",    "LOOP_BEGIN", "LOOP_END"};

}  // namespace

std::string_view opcode_name(Opcode op) {
  auto code = static_cast<std::uint8_t>(op);
  return code <= kMaxOpcode ? kOpcodeNames[code] : "?";
}

bool parse_opcode(std::string_view name, Opcode& out) {
  for (std::uint8_t code = 1; code <= kMaxOpcode; ++code) {
    if (kOpcodeNames[code] == name) {
      out = static_cast<Opcode>(code);
      return true;
    }
  }
  return false;
}

bool Op::operator==(const Op& other) const {
  if (opcode != other.opcode) return false;
  switch (opcode) {
    case Opcode::kTileLoad:
      return load == other.load;
    case Opcode::kTileStore:
      return store == other.store;
    case Opcode::kWaitFull:
    case Opcode::kRelease:
    case Opcode::kWaitEmpty:
      return stage == other.stage;
    case Opcode::kMma:
      return mma == other.mma;
    case Opcode::kVector:
      return vector == other.vector;
    case Opcode::kSfu:
      return sfu == other.sfu;
    case Opcode::kLoopBegin:
      return loop == other.loop;
    case Opcode::kSync:
    case Opcode::kLoopEnd:
      return true;
  }
  return false;
}

}  // namespace xpusim::trace
