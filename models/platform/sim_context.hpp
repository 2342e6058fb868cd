#pragma once
// Each platform runs in a fresh SystemC simulation context, so that one process can build and run
// several platforms in sequence (the SystemC kernel cannot be restarted otherwise). Only one
// context may be alive at a time.
#include <memory>

namespace sc_core {
class sc_simcontext;
}

namespace xpusim::platform {

class SimContext {
 public:
  SimContext();
  ~SimContext();
  SimContext(const SimContext&) = delete;
  SimContext& operator=(const SimContext&) = delete;

 private:
  sc_core::sc_simcontext* context_;
};

}  // namespace xpusim::platform
