// Report writers: a human table, JSON (the contract in DESIGN.md) and CSV (one row per layer).
#pragma once
#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>

#include "sim/report/report.h"

namespace nnasim::report {

enum class Format { Table, Json, Csv };
// Parses "table", "json", "csv"; throws InputError naming `where` otherwise.
Format parse_format(const std::string& s, const std::string& where);

nlohmann::ordered_json to_json(const Report& r);
void write_table(std::ostream& os, const Report& r);
void write_json(std::ostream& os, const Report& r);
void write_csv(std::ostream& os, const Report& r);
void write(std::ostream& os, const Report& r, Format f);

// Info (no simulation): per-layer MACs, params and bytes of a graph.
nlohmann::ordered_json info_json(const graph::Graph& g);
void write_info(std::ostream& os, const graph::Graph& g, Format f);

}  // namespace nnasim::report
