#include "workloads/attention/attention_layout.hpp"

#include <algorithm>
#include <random>

namespace xpusim::attention {

std::vector<RowBlock> row_blocks(std::uint64_t first_token, std::uint64_t first_head,
                                 std::uint64_t group, std::uint64_t row0, std::uint64_t rows) {
  std::vector<RowBlock> out;
  const std::uint64_t end = row0 + rows;
  for (std::uint64_t r = row0; r < end;) {
    const std::uint64_t token = r / group, head = r % group;
    if (head == 0 && end - r >= group) {  // whole tokens, every head of the group
      const std::uint64_t n = (end - r) / group;
      out.push_back({first_token + token, n, first_head, group});
      r += n * group;
    } else {
      const std::uint64_t n = std::min(group - head, end - r);
      out.push_back({first_token + token, 1, first_head + head, n});
      r += n;
    }
  }
  return out;
}

std::uint64_t PageTable::total_pages() const {
  std::uint64_t n = 0;
  for (const auto& seq : pages) n += seq.size();
  return n;
}

PageTable make_page_table(const AttentionProblem& p, std::uint64_t seed) {
  PageTable t;
  t.page_size = p.page_size;
  std::uint64_t total = 0;
  for (std::uint64_t b = 0; b < p.batch; ++b)
    total += (p.kv_len(b) + p.page_size - 1) / p.page_size;
  std::vector<std::uint64_t> physical(total);
  for (std::uint64_t i = 0; i < total; ++i) physical[i] = i;
  std::mt19937_64 rng(seed);  // Fisher-Yates written out: the same table on every platform
  for (std::uint64_t i = total; i > 1; --i) std::swap(physical[i - 1], physical[rng() % i]);
  std::uint64_t next = 0;
  for (std::uint64_t b = 0; b < p.batch; ++b) {
    auto& seq = t.pages.emplace_back((p.kv_len(b) + p.page_size - 1) / p.page_size);
    for (auto& page : seq) page = physical[next++];
  }
  return t;
}

std::vector<trace::Box> TokenMajor::boxes(const RowBlock& r, std::uint64_t col0,
                                          std::uint64_t cols) const {
  if (cols == 0) cols = dim;
  auto at = [&](std::uint64_t token) {
    return base + ((token * heads + r.head) * dim + col0) * elem;
  };
  auto u32 = [](std::uint64_t v) { return static_cast<std::uint32_t>(v); };
  if (cols == dim || r.heads == 1) {
    const std::uint64_t width = cols == dim ? r.heads * dim : cols;
    return {trace::Box{id, u32(r.tokens), u32(width * elem), at(r.token), 0, heads * dim * elem}};
  }
  std::vector<trace::Box> out;  // some columns of several heads: one box per token
  for (std::uint64_t t = r.token; t < r.token + r.tokens; ++t)
    out.push_back(trace::Box{id, u32(r.heads), u32(cols * elem), at(t), 0, dim * elem});
  return out;
}

trace::Box HeadMajor::box(const RowBlock& r) const {
  return trace::Box{id,
                    static_cast<std::uint32_t>(r.heads),
                    static_cast<std::uint32_t>(r.tokens * 4),
                    base + (r.head * tokens + r.token) * 4,
                    0,
                    tokens * 4};
}

TokenMajor AttentionLayout::place(std::uint32_t id, const char* name, std::uint64_t tokens,
                                  std::uint64_t heads, std::uint64_t dim, std::uint64_t elem) {
  TokenMajor t{id, next_, tokens, heads, dim, elem};
  next_ += (t.bytes() + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  tensors.push_back({id, name, t.base, t.bytes()});
  return t;
}

HeadMajor AttentionLayout::place_rows(std::uint32_t id, const char* name, std::uint64_t heads,
                                      std::uint64_t tokens) {
  HeadMajor t{id, next_, heads, tokens};
  next_ += (t.bytes() + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  tensors.push_back({id, name, t.base, t.bytes()});
  return t;
}

AttentionLayout::AttentionLayout(const AttentionPlan& plan) {
  const AttentionProblem& p = plan.problem;
  const KernelShape& s = plan.shape;
  const std::uint64_t e = static_cast<std::uint64_t>(dtype_bytes(p.dtype));
  const std::uint64_t out_e = static_cast<std::uint64_t>(dtype_bytes(p.output_dtype()));
  const std::uint64_t tq = p.total_q();
  q = place(kTensorQ, "Q", tq, s.heads, s.head_dim, e);
  if (p.pass == Pass::kDecode) {
    page_table = make_page_table(p);
    const std::uint64_t slots = page_table.total_pages() * p.page_size;
    v_in_k = p.mla.has_value();
    k = place(kTensorK, v_in_k ? "latent KV cache (paged)" : "K cache (paged)", slots, s.kv_heads,
              s.head_dim, e);
    v = v_in_k ? TokenMajor{kTensorK, k.base, slots, s.kv_heads, s.head_dim, e}
               : place(kTensorV, "V cache (paged)", slots, s.kv_heads, s.head_dim_v, e);
  } else {
    k = place(kTensorK, "K", p.total_kv(), s.kv_heads, s.head_dim, e);
    v = place(kTensorV, "V", p.total_kv(), s.kv_heads, s.head_dim_v, e);
  }
  o = place(kTensorO, "O", tq, s.heads, s.head_dim_v, out_e);
  lse = place_rows(kTensorLse, "LSE", s.heads, tq);
  if (p.pass == Pass::kDecode && plan.num_splits > 1) {
    const TokenMajor all =
        place(kTensorOPartial, "O partials (fp32)", plan.num_splits * tq, s.heads, s.head_dim_v, 4);
    const HeadMajor all_lse =
        place_rows(kTensorLsePartial, "LSE partials", plan.num_splits * s.heads, tq);
    for (std::uint64_t i = 0; i < plan.num_splits; ++i) {
      TokenMajor slice = all;
      slice.base += i * tq * s.heads * s.head_dim_v * 4;
      slice.tokens = tq;
      o_partial.push_back(slice);
      HeadMajor lslice = all_lse;
      lslice.base += i * s.heads * tq * 4;
      lslice.heads = s.heads;
      lse_partial.push_back(lslice);
    }
  }
  if (p.pass == Pass::kBackward) {
    const std::uint64_t tkv = p.total_kv();
    d_o = place(kTensorDO, "dO", tq, s.heads, s.head_dim_v, e);
    delta = place_rows(kTensorDelta, "D = rowsum(dO*O)", s.heads, tq);
    dq_accum = place(kTensorDqAccum, "dQ accumulator (fp32)", tq, s.heads, s.head_dim, 4);
    dq = place(kTensorDq, "dQ", tq, s.heads, s.head_dim, out_e);
    dk = place(kTensorDk, "dK", tkv, s.kv_heads, s.head_dim, out_e);
    dv = place(kTensorDv, "dV", tkv, s.kv_heads, s.head_dim_v, out_e);
    if (s.group() > 1) {
      dk_accum = place(kTensorDkAccum, "dK per query head (fp32)", tkv, s.heads, s.head_dim, 4);
      dv_accum = place(kTensorDvAccum, "dV per query head (fp32)", tkv, s.heads, s.head_dim_v, 4);
    }
  }
}

std::vector<trace::Box> AttentionLayout::kv_boxes(const TokenMajor& t, const AttentionProblem& p,
                                                  std::uint64_t b, std::uint64_t h,
                                                  std::uint64_t key0, std::uint64_t keys) const {
  if (p.pass != Pass::kDecode) return {t.box({p.kv_offset(b) + key0, keys, h, 1})};
  std::vector<trace::Box> out;
  for (std::uint64_t key = key0; key < key0 + keys;) {
    const std::uint64_t page_end = (key / p.page_size + 1) * p.page_size;
    const std::uint64_t n = std::min(key0 + keys, page_end) - key;
    out.push_back(t.box({page_table.slot(b, key), n, h, 1}));
    key += n;
  }
  return out;
}

}  // namespace xpusim::attention
