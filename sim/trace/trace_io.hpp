#pragma once
// Reading and writing traces. Two forms: a compact binary one for the simulator and JSON for
// people; read_trace tells them apart by their first bytes. Every problem in the input (truncation,
// corruption, a rule of trace_check.hpp broken) is a UserError naming the source and the byte
// offset (binary) or JSON path where it was found. Writers validate the trace first.
#include <string>
#include <string_view>

#include "sim/trace/trace.hpp"

namespace xpusim::trace {

enum class TraceFormat { kBinary, kJson };

inline constexpr std::string_view kBinaryMagic = "XPUTRACE";
inline constexpr std::size_t kBinaryHeaderBytes = 24;  // magic, version, CRC-32, payload length

std::string write_trace_binary(const Trace& trace);
std::string write_trace_json(const Trace& trace);
std::string write_trace(const Trace& trace, TraceFormat format);

Trace read_trace_binary(std::string_view bytes, std::string_view source);
Trace read_trace_json(std::string_view text, std::string_view source);
// Detects the form: the binary magic, or a JSON object.
Trace read_trace(std::string_view bytes, std::string_view source);

// Files: `.json` paths are written as JSON, anything else as binary.
void write_trace_file(const std::string& path, const Trace& trace);
Trace read_trace_file(const std::string& path);

// Binary DType codes (fixed for v1, independent of the DType enum's order).
std::uint8_t dtype_code(DType d);
bool dtype_from_code(std::uint8_t code, DType& out);

}  // namespace xpusim::trace
