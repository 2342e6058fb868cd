// Binary form of trace v1 (layout in docs/trace-format.md). All integers are little-endian and
// fixed-width; every count is checked against the bytes left before anything is allocated.
#include <fmt/format.h>

#include <boost/crc.hpp>
#include <cstring>

#include "sim/common/error.hpp"
#include "sim/trace/trace_check.hpp"
#include "sim/trace/trace_io.hpp"

namespace xpusim::trace {
namespace {

constexpr std::uint64_t kMaxStringBytes = 1 << 20;

std::uint32_t crc32_of(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

class ByteWriter {
 public:
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void i64(std::int64_t v) { put(static_cast<std::uint64_t>(v), 8); }
  void str(const std::string& s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_ += s;
  }
  // A section is a u64 byte length followed by its content.
  std::size_t open_section() {
    u64(0);
    return out_.size();
  }
  void close_section(std::size_t start) {
    std::uint64_t length = out_.size() - start;
    for (int i = 0; i < 8; ++i) out_[start - 8 + i] = static_cast<char>(length >> (8 * i));
  }
  std::string& bytes() { return out_; }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
  }
  std::string out_;
};

void write_box(ByteWriter& w, const Box& b) {
  w.u32(b.tensor);
  w.u64(b.addr);
  w.i64(b.addr_step);
  w.u32(b.rows);
  w.u32(b.row_bytes);
  w.u64(b.row_stride);
}

void write_op(ByteWriter& w, const Op& op) {
  w.u8(static_cast<std::uint8_t>(op.opcode));
  switch (op.opcode) {
    case Opcode::kTileLoad:
      w.u32(op.load.stage_base);
      write_box(w, op.load.box);
      w.u32(op.load.multicast);
      break;
    case Opcode::kTileStore:
      write_box(w, op.store.box);
      w.u8(op.store.atomic ? 1 : 0);
      break;
    case Opcode::kWaitFull:
    case Opcode::kRelease:
    case Opcode::kWaitEmpty:
      w.u32(op.stage.stage_base);
      break;
    case Opcode::kMma:
      w.u32(op.mma.m);
      w.u32(op.mma.n);
      w.u32(op.mma.k);
      w.u8(dtype_code(op.mma.dtype));
      break;
    case Opcode::kVector:
      w.u64(op.vector.elements);
      w.u32(op.vector.flops_per_element);
      w.u8(dtype_code(op.vector.dtype));
      break;
    case Opcode::kSfu:
      w.u64(op.sfu.elements);
      break;
    case Opcode::kLoopBegin:
      w.u32(op.loop.count);
      break;
    case Opcode::kSync:
    case Opcode::kLoopEnd:
      break;
  }
}

class ByteReader {
 public:
  ByteReader(std::string_view data, std::size_t base, std::string_view source)
      : data_(data), base_(base), source_(source) {}

  std::size_t offset() const { return base_ + pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }

  [[noreturn]] void fail_at(std::size_t offset, const std::string& what) const {
    throw UserError(fmt::format("{}: byte {}: {}", source_, offset, what));
  }
  [[noreturn]] void fail(const std::string& what) const { fail_at(offset(), what); }

  std::uint8_t u8(const char* what) { return static_cast<std::uint8_t>(take(1, what)); }
  std::uint32_t u32(const char* what) { return static_cast<std::uint32_t>(take(4, what)); }
  std::uint64_t u64(const char* what) { return take(8, what); }
  std::int64_t i64(const char* what) { return static_cast<std::int64_t>(take(8, what)); }

  std::string str(const char* what) {
    std::size_t at = offset();
    std::uint32_t length = u32(what);
    if (length > kMaxStringBytes) fail_at(at, fmt::format("{} claims {} bytes", what, length));
    need(length, what);
    std::string s(data_.substr(pos_, length));
    if (!is_valid_utf8(s)) fail_at(at, fmt::format("{} is not valid UTF-8 text", what));
    pos_ += length;
    return s;
  }

  // A u32 count of records of at least `min_bytes` each: refused when absurd or when the records
  // could not fit in what is left.
  std::uint32_t count(std::size_t min_bytes, const char* what) {
    std::size_t at = offset();
    std::uint32_t n = u32(what);
    if (n > kMaxCount) fail_at(at, fmt::format("absurd {}: {}", what, n));
    if (std::uint64_t{n} * min_bytes > remaining())
      fail_at(at, fmt::format("truncated or corrupt: {} {} need at least {} bytes, {} left", n,
                              what, std::uint64_t{n} * min_bytes, remaining()));
    return n;
  }

  // Returns the end offset (relative) of a section whose u64 length is read here.
  std::size_t section(const char* what) {
    std::size_t at = offset();
    std::uint64_t length = u64(what);
    if (length > remaining())
      fail_at(at, fmt::format("truncated: {} section claims {} bytes, {} left", what, length,
                              remaining()));
    return pos_ + length;
  }
  void end_section(std::size_t end, const char* what) const {
    if (pos_ != end)
      fail(fmt::format("{} section length disagrees with its content (ends at byte {})", what,
                       base_ + end));
  }

 private:
  void need(std::size_t n, const char* what) const {
    if (remaining() < n)
      fail(fmt::format("truncated: {} needs {} bytes, {} left", what, n, remaining()));
  }
  std::uint64_t take(int n, const char* what) {
    need(n, what);
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v |= std::uint64_t{static_cast<std::uint8_t>(data_[pos_ + i])} << (8 * i);
    pos_ += n;
    return v;
  }

  std::string_view data_;
  std::size_t base_;
  std::size_t pos_ = 0;
  std::string_view source_;
};

Box read_box(ByteReader& r) {
  Box b;
  b.tensor = r.u32("tensor id");
  b.addr = r.u64("address");
  b.addr_step = r.i64("address step");
  b.rows = r.u32("rows");
  b.row_bytes = r.u32("row_bytes");
  b.row_stride = r.u64("row_stride");
  return b;
}

DType read_dtype(ByteReader& r) {
  std::size_t at = r.offset();
  std::uint8_t code = r.u8("dtype");
  DType d;
  if (!dtype_from_code(code, d)) r.fail_at(at, fmt::format("unknown dtype code {}", code));
  return d;
}

Op read_op(ByteReader& r) {
  std::size_t at = r.offset();
  std::uint8_t code = r.u8("opcode");
  if (code == 0 || code > kMaxOpcode) r.fail_at(at, fmt::format("unknown opcode {}", code));
  Op op;
  op.opcode = static_cast<Opcode>(code);
  switch (op.opcode) {
    case Opcode::kTileLoad: {
      TileLoad l;
      l.stage_base = r.u32("stage");
      l.box = read_box(r);
      l.multicast = r.u32("multicast");
      op = l;
      break;
    }
    case Opcode::kTileStore: {
      TileStore s;
      s.box = read_box(r);
      std::size_t flag_at = r.offset();
      std::uint8_t atomic = r.u8("atomic flag");
      if (atomic > 1) r.fail_at(flag_at, fmt::format("atomic flag {} is not 0 or 1", atomic));
      s.atomic = atomic == 1;
      op = s;
      break;
    }
    case Opcode::kWaitFull:
    case Opcode::kRelease:
    case Opcode::kWaitEmpty:
      op.stage.stage_base = r.u32("stage");
      break;
    case Opcode::kMma: {
      Mma m;
      m.m = r.u32("m");
      m.n = r.u32("n");
      m.k = r.u32("k");
      m.dtype = read_dtype(r);
      op = m;
      break;
    }
    case Opcode::kVector: {
      VectorWork v;
      v.elements = r.u64("elements");
      v.flops_per_element = r.u32("flops_per_element");
      v.dtype = read_dtype(r);
      op = v;
      break;
    }
    case Opcode::kSfu:
      op = SfuWork{r.u64("elements")};
      break;
    case Opcode::kLoopBegin:
      op.loop.count = r.u32("loop count");
      break;
    case Opcode::kSync:
    case Opcode::kLoopEnd:
      break;
  }
  return op;
}

Kernel read_kernel(ByteReader& r, const TensorTable& tensors) {
  std::size_t end = r.section("kernel");
  std::size_t header_at = r.offset();
  Kernel k;
  k.name = r.str("kernel name");
  k.threads_per_cta = r.u32("threads_per_cta");
  k.smem_bytes_per_cta = r.u32("smem_bytes_per_cta");
  k.registers_per_thread = r.u32("registers_per_thread");
  k.cluster_size = r.u32("cluster_size");
  k.num_stages = r.u32("num_stages");
  if (auto e = check_kernel_header(k); !e.empty()) r.fail_at(header_at, e);
  std::size_t count_at = r.offset();
  std::uint32_t ctas = r.count(8, "CTAs");
  if (auto e = check_cta_count(ctas, k.cluster_size); !e.empty()) r.fail_at(count_at, e);
  k.ctas.reserve(ctas);
  CtaIdSet ids;
  for (std::uint32_t c = 0; c < ctas; ++c) {
    std::size_t cta_at = r.offset();
    Cta cta;
    cta.id = r.u32("CTA id");
    if (auto e = ids.add(cta.id); !e.empty()) r.fail_at(cta_at, e);
    std::uint32_t streams = r.count(4, "streams");
    if (streams == 0) r.fail_at(cta_at, "CTA has no streams");
    cta.streams.reserve(streams);
    for (std::uint32_t s = 0; s < streams; ++s) {
      Stream& stream = cta.streams.emplace_back();
      std::uint32_t ops = r.count(1, "ops");
      stream.reserve(ops);
      StreamChecker checker(k, tensors);
      for (std::uint32_t i = 0; i < ops; ++i) {
        std::size_t op_at = r.offset();
        stream.push_back(read_op(r));
        if (auto e = checker.check(stream.back()); !e.empty()) r.fail_at(op_at, e);
      }
      if (auto e = checker.finish(); !e.empty()) r.fail(e);
    }
    k.ctas.push_back(std::move(cta));
  }
  r.end_section(end, "kernel");
  return k;
}

}  // namespace

std::uint8_t dtype_code(DType d) {
  switch (d) {
    case DType::kFp64:
      return 0;
    case DType::kFp32:
      return 1;
    case DType::kTf32:
      return 2;
    case DType::kBf16:
      return 3;
    case DType::kFp16:
      return 4;
    case DType::kFp8:
      return 5;
    case DType::kInt8:
      return 6;
    case DType::kFp4:
      return 7;
  }
  return 255;
}

bool dtype_from_code(std::uint8_t code, DType& out) {
  for (DType d : kAllDTypes) {
    if (dtype_code(d) == code) {
      out = d;
      return true;
    }
  }
  return false;
}

std::string write_trace_binary(const Trace& trace) {
  validate_trace(trace, "trace being written");
  ByteWriter w;
  w.str(trace.family);
  w.str(trace.recorded_for);
  w.str(trace.description);
  std::size_t tensors = w.open_section();
  w.u32(static_cast<std::uint32_t>(trace.tensors.size()));
  for (const TensorInfo& t : trace.tensors) {
    w.u32(t.id);
    w.str(t.name);
    w.u64(t.base);
    w.u64(t.bytes);
  }
  w.close_section(tensors);
  w.u32(static_cast<std::uint32_t>(trace.kernels.size()));
  for (const Kernel& k : trace.kernels) {
    std::size_t kernel = w.open_section();
    w.str(k.name);
    w.u32(k.threads_per_cta);
    w.u32(k.smem_bytes_per_cta);
    w.u32(k.registers_per_thread);
    w.u32(k.cluster_size);
    w.u32(k.num_stages);
    w.u32(static_cast<std::uint32_t>(k.ctas.size()));
    for (const Cta& cta : k.ctas) {
      w.u32(cta.id);
      w.u32(static_cast<std::uint32_t>(cta.streams.size()));
      for (const Stream& s : cta.streams) {
        w.u32(static_cast<std::uint32_t>(s.size()));
        for (const Op& op : s) write_op(w, op);
      }
    }
    w.close_section(kernel);
  }
  std::string payload = std::move(w.bytes());

  ByteWriter header;
  header.bytes() = kBinaryMagic;
  header.u32(trace.version);
  header.u32(crc32_of(payload));
  header.u64(payload.size());
  return header.bytes() + payload;
}

Trace read_trace_binary(std::string_view bytes, std::string_view source) {
  ByteReader head(bytes, 0, source);
  if (bytes.size() < kBinaryHeaderBytes)
    head.fail_at(bytes.size(), fmt::format("truncated: the header needs {} bytes, the file has {}",
                                           kBinaryHeaderBytes, bytes.size()));
  if (bytes.substr(0, kBinaryMagic.size()) != kBinaryMagic)
    head.fail_at(0, "wrong magic: not an xpusim binary trace (expected \"XPUTRACE\")");
  ByteReader header(bytes.substr(8, kBinaryHeaderBytes - 8), 8, source);
  Trace trace;
  trace.version = header.u32("version");
  if (trace.version != kTraceVersion)
    header.fail_at(8, fmt::format("unsupported version {} (this build reads version {})",
                                  trace.version, kTraceVersion));
  std::uint32_t stored_crc = header.u32("CRC-32");
  std::uint64_t payload_bytes = header.u64("payload length");
  std::uint64_t present = bytes.size() - kBinaryHeaderBytes;
  if (payload_bytes > present)
    header.fail_at(bytes.size(), fmt::format("truncated: the header says {} payload bytes, the "
                                             "file has {}",
                                             payload_bytes, present));
  if (payload_bytes < present)
    header.fail_at(kBinaryHeaderBytes + payload_bytes,
                   fmt::format("{} unexpected bytes after the payload", present - payload_bytes));
  std::string_view payload = bytes.substr(kBinaryHeaderBytes);
  if (std::uint32_t crc = crc32_of(payload); crc != stored_crc)
    header.fail_at(12, fmt::format("CRC-32 mismatch: stored {:08x}, payload gives {:08x} (the "
                                   "file is corrupt)",
                                   stored_crc, crc));

  ByteReader r(payload, kBinaryHeaderBytes, source);
  trace.family = r.str("family");
  trace.recorded_for = r.str("recorded_for");
  trace.description = r.str("description");

  std::size_t tensors_end = r.section("tensor table");
  std::uint32_t tensors = r.count(24, "tensors");
  trace.tensors.reserve(tensors);
  TensorTable table;
  for (std::uint32_t i = 0; i < tensors; ++i) {
    std::size_t at = r.offset();
    TensorInfo t;
    t.id = r.u32("tensor id");
    t.name = r.str("tensor name");
    t.base = r.u64("tensor base");
    t.bytes = r.u64("tensor bytes");
    if (auto e = table.add(t); !e.empty()) r.fail_at(at, e);
    trace.tensors.push_back(std::move(t));
  }
  r.end_section(tensors_end, "tensor table");

  std::uint32_t kernels = r.count(8, "kernels");
  trace.kernels.reserve(kernels);
  for (std::uint32_t k = 0; k < kernels; ++k) trace.kernels.push_back(read_kernel(r, table));
  if (r.remaining() != 0)
    r.fail(fmt::format("{} unexpected bytes after the last kernel", r.remaining()));
  return trace;
}

}  // namespace xpusim::trace
