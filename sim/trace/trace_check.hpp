#pragma once
// The rules a trace must satisfy beyond its syntax. Both readers apply them while parsing (so that
// an error names a byte offset or a JSON path) and validate_trace applies them to a Trace built in
// memory. Each check returns an empty string when all is well, else what is wrong.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "sim/trace/trace.hpp"

namespace xpusim::trace {

// Counts above this are treated as corrupt rather than allocated.
inline constexpr std::uint64_t kMaxCount = std::uint64_t{1} << 31;

class TensorTable {
 public:
  std::string add(const TensorInfo& tensor);  // rejects duplicate ids, empty or overlapping ranges
  const TensorInfo* find(std::uint32_t id) const;

 private:
  std::map<std::uint32_t, TensorInfo> by_id_;
  std::map<std::uint64_t, std::uint64_t> end_by_base_;
};

// Names and descriptions are text: the JSON form can only hold valid UTF-8.
bool is_valid_utf8(std::string_view text);

// Kernel fields other than its CTAs.
std::string check_kernel_header(const Kernel& kernel);
std::string check_cta_count(std::uint64_t ctas, std::uint32_t cluster_size);

class StreamChecker {
 public:
  StreamChecker(const Kernel& kernel, const TensorTable& tensors)
      : num_stages_(kernel.num_stages), cluster_size_(kernel.cluster_size), tensors_(tensors) {}
  std::string check(const Op& op);  // call for each op in order
  std::string finish() const;       // call after the last op

 private:
  std::string check_box(const Box& box) const;

  std::uint32_t num_stages_;
  std::uint32_t cluster_size_;
  const TensorTable& tensors_;
  std::uint32_t loop_counts_[kMaxLoopDepth] = {};
  int depth_ = 0;
};

// Records CTA ids as they are read and reports the first repeat.
class CtaIdSet {
 public:
  std::string add(std::uint32_t id);

 private:
  std::map<std::uint32_t, bool> seen_;
};

// Throws UserError "<source>: kernels[k].ctas[c].streams[s].ops[i]: <problem>" on the first
// violation.
void validate_trace(const Trace& trace, std::string_view source = "trace");

}  // namespace xpusim::trace
