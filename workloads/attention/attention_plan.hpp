#pragma once
// Tiles an attention problem the way FlashAttention 3 (Hopper) and FlashAttention 2 (Ampere and
// others) do. The rules (deterministic; AttentionPlan::to_string states the outcome):
//
// Kernel by the target's async-copy kind: TMA -> FA3 warp-specialised (a producer stream and
// consumer streams sharing shared-memory stages); otherwise -> FA2 (one stream per CTA,
// cp.async double buffering with one K and one V buffer).
//
// Forward (pass=fwd), BM x BN = query rows x keys per tile:
//   FA3: BM = 128, two consumer warpgroups of 64 rows (ping-pong), 2 stages of (K, V). BN by the
//        qk width d: d <= 128: 128; d <= 192: 128 (112 when d_v > 128); d <= 256: 80, fp8 128.
//        (FA3's tile_size_fwd_sm90; for d <= 128 FA3 picks 176 without a causal mask and BM 192
//        for d <= 96: not modelled, this plan keeps two 64-row consumers.)
//   FA2: BM = 128; BN = 128 for d <= 64, else 64; 4 warps (8 for d > 128).
// Decode (pass=decode, split-KV / FlashDecoding over the paged cache): rows pack the query heads
//   of one KV head (token-major: row = token * group + head in group), BM = 64.
//   FA3-style: BN = 128 for d <= 128, else 64 (FlashMLA); one consumer, or two that split the V
//   columns when d_v > 256 (FlashMLA's 2 warpgroups for d_v = 512).
//   FA2: BN = 256 for d <= 64, 128 for d <= 128, else 64 (FA2's split-KV kernel).
//   A KV tile is a range of BN tokens; its rows are read page by page through the page table.
//   Splits: FA2's num_splits_heuristic over batch * kv_heads * row tiles CTAs on units * CTAs per
//   unit slots: none when they fill 80% of the slots, else the fewest splits (up to 128, the
//   units, and the KV tiles) whose wave efficiency is within 85% of the best. A split covers
//   ceil(tiles / splits) KV tiles of its sequence; a combine kernel reduces the splits by their
//   log-sum-exp.
// Backward (pass=bwd, FA2's algorithm; one CTA per KV tile looping over query tiles):
//   BM (query rows) = 128 for d <= 64, else 64; BN (keys) = 128 for d <= 128, else 64; 2 stages of
//   (Q, dO, LSE, D). FA3-style: a producer and one consumer stream (its two MMA warpgroups work
//   on the same tile); FA2: one stream of 8 warps.
// Every kernel: the tile shrinks (BN by 16, then BM by half for the backward) until shared
// memory fits max_smem_per_cta; registers per thread are FA3's setmaxnreg split (producer 24 /
// consumers 240 with two consumers, 56 / 256 with one) or, for FA2, the accumulators plus 64,
// capped at 255. Causal: KV tiles no row of the query tile sees are skipped; tiles the mask cuts
// are full MMAs plus masking work. Forward CTAs launch by (sequence, head, query tile), the
// query tiles of a causal FA3 launch longest first (FA3's LPT order).
#include <cstdint>
#include <string>
#include <vector>

#include "sim/common/kernel_target.hpp"
#include "workloads/attention/attention_problem.hpp"

namespace xpusim::attention {

enum class AttentionKernel { kFa3WarpSpecialized, kFa2SingleStream };
std::string_view kernel_name(AttentionKernel k);

// Narrows the choices, for tests and what-if studies; 0 leaves a choice free.
struct AttentionPlanOptions {
  std::uint32_t bm = 0, bn = 0;
  std::uint32_t num_splits = 0;  // decode
};

// One CTA of the main kernel.
struct CtaWork {
  std::uint32_t id = 0;     // logical grid index
  std::uint32_t batch = 0;  // sequence
  std::uint32_t head = 0;   // query head (fwd, bwd); KV head (decode: rows pack its group)
  std::uint64_t tile = 0;   // row tile (fwd, decode) or KV tile (bwd)
  std::uint32_t split = 0;  // decode KV split
};

struct TileRange {  // tiles [first, last)
  std::uint64_t first = 0, last = 0;
  std::uint64_t size() const { return last > first ? last - first : 0; }
};

struct AttentionPlan {
  AttentionProblem problem;
  std::string chip;
  AttentionKernel kernel = AttentionKernel::kFa2SingleStream;
  KernelShape shape;
  std::uint32_t bm = 0, bn = 0;  // fwd/decode: rows x keys; bwd: query rows x keys
  std::uint32_t stages = 2;
  std::uint32_t consumers = 1;     // FA3 consumer streams
  bool consumers_split_v = false;  // decode with wide V: consumers own halves of the V columns
  std::uint32_t threads_per_cta = 0;
  std::uint32_t registers_per_thread = 0;
  std::uint32_t smem_bytes_per_cta = 0;
  std::uint32_t ctas_per_unit = 0;
  std::uint32_t num_splits = 1;     // decode
  std::uint32_t combine_rows = 16;  // decode combine kernel: packed rows per CTA
  std::vector<CtaWork> work;        // main kernel's CTAs in launch order

  // Rows a (sequence, head) contributes: q_len, or q_len * group for decode (packed).
  std::uint64_t rows_of(std::uint64_t b) const;
  // Keys row `row` (in rows_of numbering) sees.
  std::uint64_t visible_keys(std::uint64_t b, std::uint64_t row) const;
  // Decode combine kernel: the splits' LSEs and two fp32 partial rows of width d_v, per CTA.
  std::uint64_t combine_smem_bytes() const;
  std::uint64_t row_tiles(std::uint64_t b) const;  // of BM rows
  std::uint64_t kv_tiles(std::uint64_t b) const;   // of BN keys
  std::uint64_t rows_in_tile(std::uint64_t b, std::uint64_t tile) const;
  std::uint64_t keys_in_tile(std::uint64_t b, std::uint64_t tile) const;
  // fwd/decode: the KV tiles CTA `w` visits (it walks them last to first); bwd: the query tiles.
  TileRange kv_tiles_of(const CtaWork& w) const;
  TileRange q_tiles_of(const CtaWork& w) const;
  // Whether the mask cuts tile (rows [row0, row0+rows) x keys [key0, key0+keys)) of sequence b.
  bool needs_mask(std::uint64_t b, std::uint64_t row0, std::uint64_t rows, std::uint64_t key0,
                  std::uint64_t keys) const;
  // 2*m*n*k of every MMA the kernels run (masked tiles in full): the trace's MMA FLOPs.
  std::uint64_t executed_mma_flops() const;
  std::string to_string() const;
};

AttentionPlan plan_attention(const AttentionProblem& problem, const KernelTarget& target,
                             const AttentionPlanOptions& options = {});

}  // namespace xpusim::attention
