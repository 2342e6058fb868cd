#pragma once
// A small RFC 4180 CSV reader that keeps the line each record starts on, for error messages.
#include <map>
#include <string>
#include <vector>

namespace xpusim::validate {

struct CsvRecord {
  int line = 0;
  std::vector<std::string> fields;
};

struct CsvTable {
  std::string source;
  std::vector<std::string> header;
  std::vector<CsvRecord> records;
  std::map<std::string, std::size_t> column;  // name -> index
};

// Throws UserError naming `source` and the line for an unterminated quote or an empty file.
CsvTable parse_csv(const std::string& text, const std::string& source);
CsvTable read_csv_file(const std::string& path);

}  // namespace xpusim::validate
