#include "sim/trace/trace_io.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "sim/common/error.hpp"

namespace xpusim::trace {

std::string write_trace(const Trace& trace, TraceFormat format) {
  return format == TraceFormat::kJson ? write_trace_json(trace) : write_trace_binary(trace);
}

Trace read_trace(std::string_view bytes, std::string_view source) {
  if (bytes.substr(0, kBinaryMagic.size()) == kBinaryMagic) return read_trace_binary(bytes, source);
  if (!bytes.empty() && bytes.size() < kBinaryMagic.size() &&
      kBinaryMagic.substr(0, bytes.size()) == bytes)
    return read_trace_binary(bytes, source);  // a binary header cut short: reported as truncated
  std::size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && bytes[first] == '{') return read_trace_json(bytes, source);
  throw UserError(
      fmt::format("{}: byte 0: not a trace (neither the binary magic \"{}\" nor a JSON "
                  "object)",
                  source, kBinaryMagic));
}

void write_trace_file(const std::string& path, const Trace& trace) {
  bool json = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  std::string bytes = write_trace(trace, json ? TraceFormat::kJson : TraceFormat::kBinary);
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw UserError(fmt::format("{}: cannot write the trace", path));
}

Trace read_trace_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(fmt::format("{}: cannot open the trace", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return read_trace(buffer.str(), path);
}

}  // namespace xpusim::trace
