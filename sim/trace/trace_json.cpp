// JSON form of trace v1: the same content as the binary form, one op per line, for people.
#include <fmt/format.h>

#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>

#include "sim/common/error.hpp"
#include "sim/trace/trace_check.hpp"
#include "sim/trace/trace_io.hpp"

namespace xpusim::trace {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::string_view kFormatName = "xpusim-trace";

void put_box(ordered_json& j, const Box& b) {
  j["tensor"] = b.tensor;
  j["addr"] = b.addr;
  j["addr_step"] = b.addr_step;
  j["rows"] = b.rows;
  j["row_bytes"] = b.row_bytes;
  j["row_stride"] = b.row_stride;
}

ordered_json op_to_json(const Op& op) {
  ordered_json j;
  j["op"] = opcode_name(op.opcode);
  switch (op.opcode) {
    case Opcode::kTileLoad:
      j["stage_base"] = op.load.stage_base;
      put_box(j, op.load.box);
      j["multicast"] = op.load.multicast;
      break;
    case Opcode::kTileStore:
      put_box(j, op.store.box);
      j["atomic"] = op.store.atomic;
      break;
    case Opcode::kWaitFull:
    case Opcode::kRelease:
    case Opcode::kWaitEmpty:
      j["stage_base"] = op.stage.stage_base;
      break;
    case Opcode::kMma:
      j["m"] = op.mma.m;
      j["n"] = op.mma.n;
      j["k"] = op.mma.k;
      j["dtype"] = dtype_name(op.mma.dtype);
      break;
    case Opcode::kVector:
      j["elements"] = op.vector.elements;
      j["flops_per_element"] = op.vector.flops_per_element;
      j["dtype"] = dtype_name(op.vector.dtype);
      break;
    case Opcode::kSfu:
      j["elements"] = op.sfu.elements;
      break;
    case Opcode::kLoopBegin:
      j["count"] = op.loop.count;
      break;
    case Opcode::kSync:
    case Opcode::kLoopEnd:
      break;
  }
  return j;
}

// Walks a parsed document; every error names the JSON pointer of the offending value.
class JsonWalker {
 public:
  explicit JsonWalker(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw UserError(fmt::format("{}: {}: {}", source_, path.empty() ? "/" : path, what));
  }

  const json& member(const json& obj, const std::string& path, const char* key) const {
    if (!obj.is_object()) fail(path, "expected an object");
    auto it = obj.find(key);
    if (it == obj.end()) fail(path, fmt::format("missing key \"{}\"", key));
    return *it;
  }
  void only_keys(const json& obj, const std::string& path,
                 std::initializer_list<std::string_view> keys) const {
    for (const auto& [key, value] : obj.items()) {
      bool known = false;
      for (std::string_view k : keys) known = known || key == k;
      if (!known) fail(path + "/" + key, "unknown key");
    }
  }
  std::uint64_t u64(const json& obj, const std::string& path, const char* key,
                    std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) const {
    const json& v = member(obj, path, key);
    std::string at = path + "/" + key;
    if (!v.is_number_integer()) fail(at, "expected a non-negative integer");
    if (v.is_number_unsigned()) {
      auto value = v.get<std::uint64_t>();
      if (value > max) fail(at, fmt::format("{} exceeds {}", value, max));
      return value;
    }
    if (v.get<std::int64_t>() < 0) fail(at, "expected a non-negative integer");
    return u64_checked(v.get<std::int64_t>(), max, at);
  }
  std::uint32_t u32(const json& obj, const std::string& path, const char* key) const {
    return static_cast<std::uint32_t>(
        u64(obj, path, key, std::numeric_limits<std::uint32_t>::max()));
  }
  std::int64_t i64(const json& obj, const std::string& path, const char* key) const {
    const json& v = member(obj, path, key);
    if (!v.is_number_integer() ||
        (v.is_number_unsigned() &&
         v.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max())))
      fail(path + "/" + key, "expected a 64-bit signed integer");
    return v.get<std::int64_t>();
  }
  std::string str(const json& obj, const std::string& path, const char* key) const {
    const json& v = member(obj, path, key);
    if (!v.is_string()) fail(path + "/" + key, "expected a string");
    return v.get<std::string>();
  }
  bool boolean(const json& obj, const std::string& path, const char* key) const {
    const json& v = member(obj, path, key);
    if (!v.is_boolean()) fail(path + "/" + key, "expected true or false");
    return v.get<bool>();
  }
  DType dtype(const json& obj, const std::string& path, const char* key) const {
    std::string name = str(obj, path, key);
    auto d = parse_dtype(name);
    if (!d) fail(path + "/" + key, fmt::format("unknown dtype \"{}\"", name));
    return *d;
  }
  const json& array(const json& obj, const std::string& path, const char* key) const {
    const json& v = member(obj, path, key);
    if (!v.is_array()) fail(path + "/" + key, "expected an array");
    if (v.size() > kMaxCount) fail(path + "/" + key, "absurdly long array");
    return v;
  }

 private:
  std::uint64_t u64_checked(std::int64_t v, std::uint64_t max, const std::string& at) const {
    if (static_cast<std::uint64_t>(v) > max) fail(at, fmt::format("{} exceeds {}", v, max));
    return static_cast<std::uint64_t>(v);
  }
  std::string_view source_;
};

Box box_from_json(const JsonWalker& w, const json& j, const std::string& path) {
  Box b;
  b.tensor = w.u32(j, path, "tensor");
  b.addr = w.u64(j, path, "addr");
  b.addr_step = w.i64(j, path, "addr_step");
  b.rows = w.u32(j, path, "rows");
  b.row_bytes = w.u32(j, path, "row_bytes");
  b.row_stride = w.u64(j, path, "row_stride");
  return b;
}

Op op_from_json(const JsonWalker& w, const json& j, const std::string& path) {
  std::string name = w.str(j, path, "op");
  Op op;
  if (!parse_opcode(name, op.opcode))
    w.fail(path + "/op", fmt::format("unknown opcode \"{}\"", name));
  switch (op.opcode) {
    case Opcode::kTileLoad:
      w.only_keys(j, path,
                  {"op", "stage_base", "tensor", "addr", "addr_step", "rows", "row_bytes",
                   "row_stride", "multicast"});
      op = TileLoad{box_from_json(w, j, path), w.u32(j, path, "stage_base"),
                    w.u32(j, path, "multicast")};
      break;
    case Opcode::kTileStore:
      w.only_keys(
          j, path,
          {"op", "tensor", "addr", "addr_step", "rows", "row_bytes", "row_stride", "atomic"});
      op = TileStore{box_from_json(w, j, path), w.boolean(j, path, "atomic")};
      break;
    case Opcode::kWaitFull:
    case Opcode::kRelease:
    case Opcode::kWaitEmpty:
      w.only_keys(j, path, {"op", "stage_base"});
      op.stage.stage_base = w.u32(j, path, "stage_base");
      break;
    case Opcode::kMma:
      w.only_keys(j, path, {"op", "m", "n", "k", "dtype"});
      op = Mma{w.u32(j, path, "m"), w.u32(j, path, "n"), w.u32(j, path, "k"),
               w.dtype(j, path, "dtype")};
      break;
    case Opcode::kVector:
      w.only_keys(j, path, {"op", "elements", "flops_per_element", "dtype"});
      op = VectorWork{w.u64(j, path, "elements"), w.u32(j, path, "flops_per_element"),
                      w.dtype(j, path, "dtype")};
      break;
    case Opcode::kSfu:
      w.only_keys(j, path, {"op", "elements"});
      op = SfuWork{w.u64(j, path, "elements")};
      break;
    case Opcode::kLoopBegin:
      w.only_keys(j, path, {"op", "count"});
      op = Op::loop_begin(w.u32(j, path, "count"));
      break;
    case Opcode::kSync:
    case Opcode::kLoopEnd:
      w.only_keys(j, path, {"op"});
      break;
  }
  return op;
}

Kernel kernel_from_json(const JsonWalker& w, const json& j, const std::string& path,
                        const TensorTable& tensors) {
  w.only_keys(j, path,
              {"name", "threads_per_cta", "smem_bytes_per_cta", "registers_per_thread",
               "cluster_size", "num_stages", "ctas"});
  Kernel k;
  k.name = w.str(j, path, "name");
  k.threads_per_cta = w.u32(j, path, "threads_per_cta");
  k.smem_bytes_per_cta = w.u32(j, path, "smem_bytes_per_cta");
  k.registers_per_thread = w.u32(j, path, "registers_per_thread");
  k.cluster_size = w.u32(j, path, "cluster_size");
  k.num_stages = w.u32(j, path, "num_stages");
  if (auto e = check_kernel_header(k); !e.empty()) w.fail(path, e);
  const json& ctas = w.array(j, path, "ctas");
  if (auto e = check_cta_count(ctas.size(), k.cluster_size); !e.empty()) w.fail(path + "/ctas", e);
  k.ctas.reserve(ctas.size());
  CtaIdSet ids;
  for (std::size_t c = 0; c < ctas.size(); ++c) {
    std::string cta_path = fmt::format("{}/ctas/{}", path, c);
    w.only_keys(ctas[c], cta_path, {"id", "streams"});
    Cta& cta = k.ctas.emplace_back();
    cta.id = w.u32(ctas[c], cta_path, "id");
    if (auto e = ids.add(cta.id); !e.empty()) w.fail(cta_path + "/id", e);
    const json& streams = w.array(ctas[c], cta_path, "streams");
    if (streams.empty()) w.fail(cta_path + "/streams", "CTA has no streams");
    for (std::size_t s = 0; s < streams.size(); ++s) {
      std::string stream_path = fmt::format("{}/streams/{}", cta_path, s);
      if (!streams[s].is_array()) w.fail(stream_path, "expected an array of ops");
      Stream& stream = cta.streams.emplace_back();
      stream.reserve(streams[s].size());
      StreamChecker checker(k, tensors);
      for (std::size_t i = 0; i < streams[s].size(); ++i) {
        std::string op_path = fmt::format("{}/{}", stream_path, i);
        stream.push_back(op_from_json(w, streams[s][i], op_path));
        if (auto e = checker.check(stream.back()); !e.empty()) w.fail(op_path, e);
      }
      if (auto e = checker.finish(); !e.empty()) w.fail(stream_path, e);
    }
  }
  return k;
}

}  // namespace

std::string write_trace_json(const Trace& trace) {
  validate_trace(trace, "trace being written");
  std::string out = "{\n";
  auto field = [&](std::string_view key, const ordered_json& value) {
    out += fmt::format("  \"{}\": {},\n", key, value.dump());
  };
  field("format", kFormatName);
  field("version", trace.version);
  field("family", trace.family);
  field("recorded_for", trace.recorded_for);
  field("description", trace.description);
  out += "  \"tensors\": [";
  for (std::size_t i = 0; i < trace.tensors.size(); ++i) {
    const TensorInfo& t = trace.tensors[i];
    ordered_json j{{"id", t.id}, {"name", t.name}, {"base", t.base}, {"bytes", t.bytes}};
    out += (i ? ",\n    " : "\n    ") + j.dump();
  }
  out += trace.tensors.empty() ? "],\n" : "\n  ],\n";
  out += "  \"kernels\": [";
  for (std::size_t k = 0; k < trace.kernels.size(); ++k) {
    const Kernel& kernel = trace.kernels[k];
    ordered_json head{{"name", kernel.name},
                      {"threads_per_cta", kernel.threads_per_cta},
                      {"smem_bytes_per_cta", kernel.smem_bytes_per_cta},
                      {"registers_per_thread", kernel.registers_per_thread},
                      {"cluster_size", kernel.cluster_size},
                      {"num_stages", kernel.num_stages}};
    std::string head_text = head.dump();
    head_text.pop_back();  // reopen the object to append the CTAs
    out += (k ? ",\n    " : "\n    ") + head_text + ", \"ctas\": [";
    for (std::size_t c = 0; c < kernel.ctas.size(); ++c) {
      const Cta& cta = kernel.ctas[c];
      out += fmt::format("{}\n      {{\"id\": {}, \"streams\": [", c ? "," : "", cta.id);
      for (std::size_t s = 0; s < cta.streams.size(); ++s) {
        out += s ? ", [" : "[";
        for (std::size_t i = 0; i < cta.streams[s].size(); ++i)
          out += (i ? ",\n        " : "\n        ") + op_to_json(cta.streams[s][i]).dump();
        out += cta.streams[s].empty() ? "]" : "\n      ]";
      }
      out += "]}";
    }
    out += "\n    ]}";
  }
  out += trace.kernels.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

Trace read_trace_json(std::string_view text, std::string_view source) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    throw UserError(fmt::format("{}: byte {}: not valid JSON ({})", source, e.byte, e.what()));
  } catch (const json::exception& e) {  // e.g. a number too large for a double (1e99999)
    throw UserError(fmt::format("{}: not valid JSON ({})", source, e.what()));
  }
  JsonWalker w(source);
  const std::string root;
  if (!doc.is_object()) w.fail(root, "expected a JSON object");
  w.only_keys(doc, root,
              {"format", "version", "family", "recorded_for", "description", "tensors", "kernels"});
  if (w.str(doc, root, "format") != kFormatName)
    w.fail("/format", fmt::format("expected \"{}\"", kFormatName));
  Trace trace;
  trace.version = w.u32(doc, root, "version");
  if (trace.version != kTraceVersion)
    w.fail("/version", fmt::format("unsupported version {} (this build reads version {})",
                                   trace.version, kTraceVersion));
  trace.family = w.str(doc, root, "family");
  trace.recorded_for = w.str(doc, root, "recorded_for");
  trace.description = w.str(doc, root, "description");
  const json& tensors = w.array(doc, root, "tensors");
  TensorTable table;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    std::string path = fmt::format("/tensors/{}", i);
    w.only_keys(tensors[i], path, {"id", "name", "base", "bytes"});
    TensorInfo t{w.u32(tensors[i], path, "id"), w.str(tensors[i], path, "name"),
                 w.u64(tensors[i], path, "base"), w.u64(tensors[i], path, "bytes")};
    if (auto e = table.add(t); !e.empty()) w.fail(path, e);
    trace.tensors.push_back(std::move(t));
  }
  const json& kernels = w.array(doc, root, "kernels");
  for (std::size_t k = 0; k < kernels.size(); ++k)
    trace.kernels.push_back(kernel_from_json(w, kernels[k], fmt::format("/kernels/{}", k), table));
  return trace;
}

}  // namespace xpusim::trace
