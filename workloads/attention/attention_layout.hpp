#pragma once
// Where an attention kernel's tensors live and which 2-D boxes its tiles are, shared by the trace
// emitter and the functional core (the page table).
//
// Token-major tensors [tokens, heads, dim] (Q, O, dO, dQ, K, V, dK, dV and their fp32 partials)
// give, for a block of consecutive tokens x consecutive heads, one box: rows = tokens,
// row_bytes = heads * dim * e, row_stride = all heads * dim * e. Row tensors [heads, tokens] in
// fp32 (LSE, D = rowsum(dO * O)) give rows = heads, row_bytes = tokens * 4. Decode tiles pack the
// query heads of a KV head token-major (row = token * group + head), so their rows split into
// RowBlocks: whole tokens with every head of the group, or part of one token's heads.
// The paged KV cache is [pages, page_size, kv_heads, dim]: logical page i of sequence b is
// physical page table[b][i], so a KV tile reads one box per page it touches.
#include <cstdint>
#include <vector>

#include "sim/trace/trace.hpp"
#include "workloads/attention/attention_plan.hpp"

namespace xpusim::attention {

inline constexpr std::uint64_t kTensorAlignment = std::uint64_t{2} << 20;
inline constexpr std::uint64_t kDefaultPageSeed = 0x9a6e'7ab1e;

enum TensorId : std::uint32_t {
  kTensorQ = 0,
  kTensorK = 1,  // decode: the paged K cache (MLA: the latent cache, V included)
  kTensorV = 2,
  kTensorO = 3,
  kTensorLse = 4,
  kTensorOPartial = 5,  // decode splits: fp32 [splits, tokens, heads, d_v]
  kTensorLsePartial = 6,
  kTensorDO = 7,
  kTensorDelta = 8,  // D = rowsum(dO * O)
  kTensorDqAccum = 9,
  kTensorDq = 10,
  kTensorDk = 11,
  kTensorDv = 12,
  kTensorDkAccum = 13,  // GQA: fp32 per query head, summed per KV head afterwards
  kTensorDvAccum = 14,
};

// Tokens [token, token + tokens) x heads [head, head + heads) of a token-major tensor.
struct RowBlock {
  std::uint64_t token = 0, tokens = 0, head = 0, heads = 0;
};

// The RowBlocks of rows [row0, row0 + rows) of sequence tokens starting at `first_token`, where
// row r is token r / group, head first_head + r % group.
std::vector<RowBlock> row_blocks(std::uint64_t first_token, std::uint64_t first_head,
                                 std::uint64_t group, std::uint64_t row0, std::uint64_t rows);

// Physical page of every logical page of every sequence: a shuffle of all pages (fixed seed).
struct PageTable {
  std::uint64_t page_size = 0;
  std::vector<std::vector<std::uint64_t>> pages;  // [sequence][logical page]
  std::uint64_t total_pages() const;
  // Physical token slot of key `key` of sequence b.
  std::uint64_t slot(std::uint64_t b, std::uint64_t key) const {
    return pages[b][key / page_size] * page_size + key % page_size;
  }
};
PageTable make_page_table(const AttentionProblem& p, std::uint64_t seed = kDefaultPageSeed);

// A [tokens, heads, dim] tensor of `elem`-byte values.
struct TokenMajor {
  std::uint32_t id = 0;
  std::uint64_t base = 0, tokens = 0, heads = 0, dim = 0, elem = 0;
  std::uint64_t bytes() const { return tokens * heads * dim * elem; }
  // Columns [col0, col0 + cols) of the block (every column by default): one box, or one per token
  // when only some columns of several heads are wanted.
  std::vector<trace::Box> boxes(const RowBlock& r, std::uint64_t col0 = 0,
                                std::uint64_t cols = 0) const;
  trace::Box box(const RowBlock& r) const { return boxes(r).front(); }
};

// A [heads, tokens] fp32 tensor.
struct HeadMajor {
  std::uint32_t id = 0;
  std::uint64_t base = 0, heads = 0, tokens = 0;
  std::uint64_t bytes() const { return heads * tokens * 4; }
  trace::Box box(const RowBlock& r) const;
};

// Every tensor of the plan's kernels, placed 2 MiB apart.
struct AttentionLayout {
  explicit AttentionLayout(const AttentionPlan& plan);

  std::vector<trace::TensorInfo> tensors;
  TokenMajor q, k, v, o;
  HeadMajor lse;
  std::vector<TokenMajor> o_partial;  // per split (decode)
  std::vector<HeadMajor> lse_partial;
  TokenMajor d_o, dq_accum, dq, dk, dv, dk_accum, dv_accum;
  HeadMajor delta;
  PageTable page_table;  // decode
  bool v_in_k = false;   // MLA decode: V is the first d_v columns of the latent rows

  // Boxes of keys [key0, key0 + keys) of sequence b, KV head h: contiguous, or page by page.
  std::vector<trace::Box> kv_boxes(const TokenMajor& t, const AttentionProblem& p, std::uint64_t b,
                                   std::uint64_t h, std::uint64_t key0, std::uint64_t keys) const;

 private:
  std::uint64_t next_ = kTensorAlignment;
  TokenMajor place(std::uint32_t id, const char* name, std::uint64_t tokens, std::uint64_t heads,
                   std::uint64_t dim, std::uint64_t elem);
  HeadMajor place_rows(std::uint32_t id, const char* name, std::uint64_t heads,
                       std::uint64_t tokens);
};

}  // namespace xpusim::attention
