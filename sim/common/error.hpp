#pragma once
// The one exception type user-facing code throws: its message is printed as is, and the CLI
// exits with status 2. Messages name the file, line and key where there is one.
#include <stdexcept>
#include <string>

namespace xpusim {

class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace xpusim
