#include "models/platform/sim_context.hpp"

#include <systemc>

namespace xpusim::platform {

SimContext::SimContext() : context_(new sc_core::sc_simcontext()) {
  sc_core::sc_curr_simcontext = context_;
  sc_core::sc_default_global_context = context_;
}

SimContext::~SimContext() {
  // The context owns the modules' kernel objects; it is released after the platform's modules.
  if (sc_core::sc_curr_simcontext == context_) {
    sc_core::sc_curr_simcontext = nullptr;
    sc_core::sc_default_global_context = nullptr;
  }
  delete context_;
}

}  // namespace xpusim::platform

// Debian's libsystemc.so carries a main() that calls sc_main; our programs have their own main()
// and drive the kernel through SimContext, but the library still needs the symbol to link.
int sc_main(int, char*[]) {
  return 0;
}
