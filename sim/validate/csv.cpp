#include "sim/validate/csv.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "sim/common/error.hpp"

namespace xpusim::validate {

CsvTable parse_csv(const std::string& text, const std::string& source) {
  CsvTable t;
  t.source = source;
  std::vector<CsvRecord> rows;
  CsvRecord cur;
  std::string field;
  bool quoted = false, field_started = false;
  int line = 1;
  cur.line = 1;
  int quote_line = 0;
  auto end_field = [&] {
    cur.fields.push_back(field);
    field.clear();
    field_started = false;
  };
  auto end_record = [&] {
    end_field();
    const bool blank = cur.fields.size() == 1 && cur.fields[0].empty();
    if (!blank) rows.push_back(cur);
    cur = CsvRecord{};
    cur.line = line;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
      quote_line = line;
    } else if (c == ',') {
      end_field();
    } else if (c == '\n') {
      ++line;
      end_record();
    } else if (c != '\r') {
      field += c;
      field_started = true;
    }
  }
  if (quoted) throw UserError(fmt::format("{}:{}: unterminated quoted field", source, quote_line));
  if (!field.empty() || !cur.fields.empty()) end_record();
  if (rows.empty()) throw UserError(fmt::format("{}: empty CSV file (no header)", source));
  t.header = rows.front().fields;
  for (std::size_t i = 0; i < t.header.size(); ++i) t.column[t.header[i]] = i;
  t.records.assign(rows.begin() + 1, rows.end());
  return t;
}

CsvTable read_csv_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(fmt::format("{}: cannot open", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_csv(ss.str(), path);
}

}  // namespace xpusim::validate
