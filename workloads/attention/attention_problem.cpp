#include "workloads/attention/attention_problem.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <numeric>

#include "sim/common/error.hpp"

namespace xpusim::attention {
namespace {

// Sequences per problem: each gets its own length entries, so a huge batch is memory, not a count.
constexpr std::uint64_t kMaxBatch = std::uint64_t{1} << 20;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits "a=1,b=2;c=3" into key -> value, refusing unknown and repeated keys.
class Items {
 public:
  explicit Items(std::string_view text) : text_(text) {
    static const char* kKeys[] = {"batch",     "heads",        "kv_heads", "head_dim", "head_dim_v",
                                  "seq_q",     "seq_kv",       "causal",   "pass",     "dtype",
                                  "page_size", "kv_lora_rank", "rope_dim"};
    std::string_view rest = text;
    while (!rest.empty()) {
      std::size_t cut = rest.find_first_of(",;");
      std::string_view item = trim(rest.substr(0, cut));
      rest = cut == std::string_view::npos ? std::string_view{} : rest.substr(cut + 1);
      if (item.empty()) continue;
      std::size_t eq = item.find('=');
      if (eq == std::string_view::npos) fail(fmt::format("'{}' is not key=value", item));
      std::string key = lower(trim(item.substr(0, eq)));
      if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys))
        fail(
            fmt::format("unknown key '{}' (known: batch, heads, kv_heads, head_dim, head_dim_v, "
                        "seq_q, seq_kv, causal, pass, dtype, page_size, kv_lora_rank, rope_dim)",
                        key));
      if (values_.count(key)) fail(fmt::format("key '{}' is given twice", key));
      values_[key] = std::string(trim(item.substr(eq + 1)));
    }
  }

  bool has(const std::string& key) const { return values_.count(key) > 0; }
  const std::string& get(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) fail(fmt::format("missing key '{}'", key));
    return it->second;
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw UserError(fmt::format("attention problem '{}': {}", text_, why));
  }
  std::uint64_t number(const std::string& key, std::string_view text) const {
    auto bad = [&](std::string_view why) { fail(fmt::format("{}={}: {}", key, get(key), why)); };
    text = trim(text);
    if (text.empty()) bad("is empty");
    if (text.front() == '-') bad("is negative");
    if (text.front() == '+') text.remove_prefix(1);
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc::result_out_of_range) bad("is too large");
    if (ec != std::errc() || end != text.data() + text.size()) bad("is not a whole number");
    if (v == 0) bad("must be at least 1");
    if (v > kMaxSeqLen) bad(fmt::format("is too large (> {})", kMaxSeqLen));
    return v;
  }
  std::uint64_t number(const std::string& key) const { return number(key, get(key)); }
  // One length, or one per sequence separated by ':'.
  std::vector<std::uint64_t> lengths(const std::string& key) const {
    std::vector<std::uint64_t> out;
    std::string_view rest = get(key);
    for (;;) {
      std::size_t cut = rest.find(':');
      out.push_back(number(key, rest.substr(0, cut)));
      if (cut == std::string_view::npos) break;
      rest = rest.substr(cut + 1);
    }
    return out;
  }

 private:
  std::string_view text_;
  std::map<std::string, std::string> values_;
};

}  // namespace

std::string_view pass_name(Pass p) {
  switch (p) {
    case Pass::kForward:
      return "fwd";
    case Pass::kBackward:
      return "bwd";
    case Pass::kDecode:
      return "decode";
  }
  return "?";
}

std::uint64_t AttentionProblem::q_offset(std::uint64_t b) const {
  return std::accumulate(seqlens_q.begin(), seqlens_q.begin() + b, std::uint64_t{0});
}
std::uint64_t AttentionProblem::kv_offset(std::uint64_t b) const {
  return std::accumulate(seqlens_kv.begin(), seqlens_kv.begin() + b, std::uint64_t{0});
}
std::uint64_t AttentionProblem::total_q() const {
  return q_offset(seqlens_q.size());
}
std::uint64_t AttentionProblem::total_kv() const {
  return kv_offset(seqlens_kv.size());
}
std::uint64_t AttentionProblem::max_q() const {
  return seqlens_q.empty() ? 0 : *std::max_element(seqlens_q.begin(), seqlens_q.end());
}
std::uint64_t AttentionProblem::max_kv() const {
  return seqlens_kv.empty() ? 0 : *std::max_element(seqlens_kv.begin(), seqlens_kv.end());
}
bool AttentionProblem::varlen() const {
  auto uniform = [](const std::vector<std::uint64_t>& v) {
    return std::adjacent_find(v.begin(), v.end(), std::not_equal_to<>()) == v.end();
  };
  return !uniform(seqlens_q) || !uniform(seqlens_kv);
}

KernelShape AttentionProblem::kernel_shape() const {
  if (!mla) return {heads, kv_heads, head_dim, head_dim_v};
  if (pass == Pass::kDecode)  // absorbed: MQA over the latent cache
    return {heads, 1, mla->kv_lora_rank + mla->rope_dim, mla->kv_lora_rank};
  return {heads, heads, head_dim + mla->rope_dim, head_dim_v};
}

double AttentionProblem::softmax_scale() const {
  const std::uint64_t qk = mla ? head_dim + mla->rope_dim : head_dim;
  return 1.0 / std::sqrt(double(qk));
}

DType AttentionProblem::output_dtype() const {
  return dtype == DType::kFp8 ? DType::kBf16 : dtype;
}

std::uint64_t AttentionProblem::visible_keys(std::uint64_t b, std::uint64_t row) const {
  const std::uint64_t kv = kv_len(b);
  if (!causal) return kv;
  return std::min(kv, row + kv - q_len(b) + 1);  // validate() keeps q_len <= kv_len
}

double AttentionProblem::pairs(std::uint64_t b) const {
  const double q = double(q_len(b)), kv = double(kv_len(b));
  if (!causal) return q * kv;
  return q * (kv - q) + q * (q + 1) / 2;  // row i sees kv - q + i + 1 keys
}

double AttentionProblem::forward_flops() const {
  const KernelShape k = kernel_shape();
  double pairs_all = 0;
  for (std::uint64_t b = 0; b < batch; ++b) pairs_all += pairs(b);
  return 2.0 * double(k.heads) * pairs_all * double(k.head_dim + k.head_dim_v);
}

double AttentionProblem::flops() const {
  if (pass != Pass::kBackward) return forward_flops();
  const KernelShape k = kernel_shape();
  return forward_flops() * double(3 * k.head_dim + 2 * k.head_dim_v) /
         double(k.head_dim + k.head_dim_v);
}

std::string AttentionProblem::to_string() const {
  auto lens = [](const std::vector<std::uint64_t>& v) {
    if (std::adjacent_find(v.begin(), v.end(), std::not_equal_to<>()) == v.end())
      return fmt::format("{}", v.empty() ? 0 : v[0]);
    if (v.size() <= 6) return fmt::format("[{}]", fmt::join(v, ","));
    return fmt::format("[{},{},...,{}]", v[0], v[1], v.back());
  };
  std::string s = fmt::format("{} b={} h={} kv_heads={} d={}", pass_name(pass), batch, heads,
                              kv_heads, head_dim);
  if (head_dim_v != head_dim) s += fmt::format(" dv={}", head_dim_v);
  if (mla) s += fmt::format(" mla(rank={},rope={})", mla->kv_lora_rank, mla->rope_dim);
  s += fmt::format(" sq={} skv={}{} {}", lens(seqlens_q), lens(seqlens_kv), causal ? " causal" : "",
                   dtype_name(dtype));
  if (pass == Pass::kDecode) s += fmt::format(" page={}", page_size);
  return s;
}

namespace {

struct Invalid {
  std::string why;
};

// Throws Invalid with the first rule `p` breaks.
void check_rules(const AttentionProblem& p) {
  auto fail = [](const std::string& why) { throw Invalid{why}; };
  if (p.batch < 1 || p.heads < 1 || p.kv_heads < 1) fail("batch, heads and kv_heads must be >= 1");
  if (p.heads % p.kv_heads != 0)
    fail(fmt::format("heads ({}) is not a multiple of kv_heads ({})", p.heads, p.kv_heads));
  if (p.seqlens_q.size() != p.batch || p.seqlens_kv.size() != p.batch)
    fail(fmt::format("seq_q has {} lengths and seq_kv {}, batch is {}", p.seqlens_q.size(),
                     p.seqlens_kv.size(), p.batch));
  for (std::uint64_t b = 0; b < p.batch; ++b) {
    if (p.q_len(b) < 1 || p.kv_len(b) < 1 || p.q_len(b) > kMaxSeqLen || p.kv_len(b) > kMaxSeqLen)
      fail(fmt::format("sequence {}: lengths must be in 1..{}", b, kMaxSeqLen));
    if (p.causal && p.q_len(b) > p.kv_len(b))
      fail(fmt::format(
          "causal sequence {} has seq_q {} > seq_kv {}: its first rows would see no key", b,
          p.q_len(b), p.kv_len(b)));
  }
  if (p.head_dim % 8 != 0 || p.head_dim_v % 8 != 0 || p.head_dim == 0 || p.head_dim_v == 0)
    fail(fmt::format("head_dim ({}) and head_dim_v ({}) must be multiples of 8 (16-byte rows)",
                     p.head_dim, p.head_dim_v));
  if (p.mla) {
    if (p.mla->kv_lora_rank % 8 != 0 || p.mla->rope_dim % 8 != 0 || p.mla->kv_lora_rank == 0 ||
        p.mla->rope_dim == 0)
      fail("kv_lora_rank and rope_dim must be positive multiples of 8");
    if (p.kv_heads != p.heads)
      fail(
          fmt::format("kv_heads ({}) must equal heads ({}) with MLA: every head reads the one "
                      "latent (leave kv_heads out)",
                      p.kv_heads, p.heads));
  }
  const KernelShape k = p.kernel_shape();
  if (!(p.mla && p.pass == Pass::kDecode) &&
      (k.head_dim > kMaxHeadDim || k.head_dim_v > kMaxHeadDim))
    fail(fmt::format("qk width {} / v width {}: FlashAttention kernels stop at {}", k.head_dim,
                     k.head_dim_v, kMaxHeadDim));
  if (p.dtype != DType::kBf16 && p.dtype != DType::kFp16 && p.dtype != DType::kFp8)
    fail(fmt::format("dtype {} (use bf16, fp16 or fp8)", dtype_name(p.dtype)));
  if (p.dtype == DType::kFp8 && p.pass == Pass::kBackward)
    fail("dtype fp8 with pass=bwd: FlashAttention has no FP8 backward");
  if (p.pass == Pass::kDecode && p.page_size < 1) fail("decode needs page_size >= 1");
  if (p.pass != Pass::kDecode && p.page_size != 0)
    fail("page_size applies to pass=decode (the paged KV cache)");
}

}  // namespace

void validate(const AttentionProblem& p) {
  try {
    check_rules(p);
  } catch (const Invalid& e) {
    throw UserError(fmt::format("attention problem ({}): {}", p.to_string(), e.why));
  }
}

AttentionProblem parse_attention_problem(std::string_view text) {
  Items items(text);
  AttentionProblem p;
  p.seqlens_q = items.lengths("seq_q");
  p.seqlens_kv = items.lengths("seq_kv");
  std::size_t listed = std::max(p.seqlens_q.size(), p.seqlens_kv.size());
  if (items.has("batch") || listed == 1) {
    p.batch = items.number("batch");
    if (p.batch > kMaxBatch)
      items.fail(fmt::format("batch={} is too large (> {})", items.get("batch"), kMaxBatch));
  } else {
    p.batch = listed;
  }
  for (auto* lens : {&p.seqlens_q, &p.seqlens_kv}) {
    const char* key = lens == &p.seqlens_q ? "seq_q" : "seq_kv";
    if (lens->size() == 1) lens->assign(p.batch, lens->front());
    if (lens->size() != p.batch)
      items.fail(fmt::format("{}={}: {} lengths for batch {}", key, items.get(key), lens->size(),
                             p.batch));
  }
  p.heads = items.number("heads");
  p.kv_heads = items.has("kv_heads") ? items.number("kv_heads") : p.heads;
  if (p.heads % p.kv_heads != 0)
    items.fail(fmt::format("heads={} is not a multiple of kv_heads={}", p.heads, p.kv_heads));
  p.head_dim = items.number("head_dim");
  p.head_dim_v = items.has("head_dim_v") ? items.number("head_dim_v") : p.head_dim;
  if (items.has("causal")) {
    std::string v = lower(items.get("causal"));
    if (v == "1" || v == "true")
      p.causal = true;
    else if (v == "0" || v == "false")
      p.causal = false;
    else
      items.fail(fmt::format("causal={}: give 0, 1, false or true", items.get("causal")));
  }
  if (items.has("pass")) {
    std::string v = lower(items.get("pass"));
    if (v == "fwd" || v == "forward")
      p.pass = Pass::kForward;
    else if (v == "bwd" || v == "backward")
      p.pass = Pass::kBackward;
    else if (v == "decode")
      p.pass = Pass::kDecode;
    else
      items.fail(fmt::format("pass={}: give fwd, bwd or decode", items.get("pass")));
  }
  if (items.has("dtype")) {
    std::string v = lower(items.get("dtype"));
    auto d = parse_dtype(v == "e4m3" ? "fp8" : v);
    if (!d || (*d != DType::kBf16 && *d != DType::kFp16 && *d != DType::kFp8))
      items.fail(fmt::format("dtype={}: give bf16, fp16 or fp8", items.get("dtype")));
    p.dtype = *d;
  }
  if (items.has("page_size"))
    p.page_size = items.number("page_size");
  else if (p.pass == Pass::kDecode)
    p.page_size = kDefaultPageSize;
  if (items.has("kv_lora_rank") != items.has("rope_dim"))
    items.fail(fmt::format("missing key '{}': MLA needs kv_lora_rank and rope_dim",
                           items.has("rope_dim") ? "kv_lora_rank" : "rope_dim"));
  if (items.has("kv_lora_rank")) {
    p.mla = MlaShape{items.number("kv_lora_rank"), items.number("rope_dim")};
    if (items.has("kv_heads") && p.kv_heads != p.heads)
      items.fail(
          fmt::format("kv_heads={}: MLA shares one latent across all heads; leave "
                      "kv_heads out",
                      p.kv_heads));
  }
  try {
    check_rules(p);
  } catch (const Invalid& e) {
    items.fail(e.why);
  }
  return p;
}

}  // namespace xpusim::attention
