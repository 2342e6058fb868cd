#pragma once
// A plain table rendered as aligned text or CSV; every report (specs, run, validate) uses it.
#include <string>
#include <vector>

namespace xpusim::report {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add_row(std::vector<std::string> row);
  // Aligned columns; the first column left-aligned, the rest right-aligned unless `left_all`.
  std::string to_text(bool left_all = false) const;
  std::string to_csv() const;
  const std::vector<std::vector<std::string>>& rows() const { return rows_; }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Quotes a CSV field when it needs it (RFC 4180).
std::string csv_field(const std::string& s);

}  // namespace xpusim::report
