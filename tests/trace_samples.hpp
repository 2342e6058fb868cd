#pragma once
// Small hand-written traces the trace tests share: every opcode appears at least once.
#include "sim/trace/trace.hpp"

namespace xpusim::test {

inline trace::Trace sample_trace() {
  using namespace trace;
  Trace t;
  t.family = "hopper";
  t.recorded_for = "h100_sxm";
  t.description = "two-stage toy GEMM tile, producer/consumer";
  t.tensors = {{0, "A", 0x200000, 64 * 256 * 2},
               {1, "B", 0x400000, 64 * 256 * 2},
               {2, "C", 0x600000, 64 * 64 * 2}};
  Kernel k;
  k.name = "toy_gemm";
  k.threads_per_cta = 256;
  k.smem_bytes_per_cta = 2 * 2 * 64 * 64 * 2;
  k.registers_per_thread = 128;
  k.cluster_size = 2;
  k.num_stages = 2;
  for (std::uint32_t id = 0; id < 2; ++id) {
    Cta cta;
    cta.id = id;
    Stream producer, consumer;
    producer.push_back(Op::loop_begin(4));
    producer.push_back(Op::wait_empty(0));
    producer.push_back(TileLoad{Box{0, 64, 128, 0x200000, 128, 512}, 0, 1});
    producer.push_back(TileLoad{Box{1, 64, 128, 0x400000, 128, 512}, 0, 2});
    producer.push_back(Op::loop_end());
    consumer.push_back(Op::loop_begin(4));
    consumer.push_back(Op::wait_full(0));
    consumer.push_back(Mma{64, 64, 64, DType::kBf16});
    consumer.push_back(Op::release(0));
    consumer.push_back(Op::loop_end());
    consumer.push_back(VectorWork{64 * 64, 2, DType::kFp32});
    consumer.push_back(SfuWork{64});
    consumer.push_back(Op::sync());
    consumer.push_back(TileStore{Box{2, 64, 128, 0x600000, 0, 128}, id == 1});
    cta.streams = {producer, consumer};
    k.ctas.push_back(cta);
  }
  t.kernels.push_back(k);
  return t;
}

}  // namespace xpusim::test
