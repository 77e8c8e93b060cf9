#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <type_traits>
#include <fstream>
#include <map>
#include <sstream>

#include "sim/common/checked.h"
#include "sim/common/files.h"
#include "sim/common/parse.h"
#include "sim/config/section.h"
#include "sim/graph/passes.h"
#include "sim/trace/trace.h"

namespace nnasim::trace {
namespace {

using nlohmann::json;

enum class T { Str, Int, Real, Bool, Ints, Strs, Shapes };

// Every key a record may carry, with its type (CSV cells are converted by it).
const std::map<std::string, T>& keys() {
  static const std::map<std::string, T> k = {
      {"name", T::Str},         {"op", T::Str},          {"inputs", T::Strs},          {"input_shapes", T::Shapes},
      {"output_shape", T::Ints}, {"weight_shape", T::Ints}, {"kernel", T::Ints},       {"stride", T::Ints},
      {"pad", T::Ints},         {"dilation", T::Ints},   {"groups", T::Int},           {"ceil_mode", T::Bool},
      {"bias", T::Bool},        {"act", T::Str},         {"fused", T::Strs},           {"weight_bits", T::Int},
      {"bias_bits", T::Int},    {"act_bits", T::Int},    {"format", T::Str},           {"macs", T::Int},
      {"params", T::Int},       {"weight_bytes", T::Int}, {"input_bytes", T::Int},     {"output_bytes", T::Int},
      {"seconds", T::Real},     {"cycles", T::Int},      {"dram_read_bytes", T::Int},  {"dram_write_bytes", T::Int},
      {"energy_joules", T::Real}, {"cores", T::Ints},    {"bound", T::Str},            {"measured_seconds", T::Real},
      {"measured_energy_joules", T::Real}, {"compression", T::Str},
      {"compression_clusters", T::Int}, {"compression_index_bits", T::Int}, {"compression_kernels", T::Int},
      {"compression_codebook_entries", T::Int}, {"compression_scale_bits", T::Int}};
  return k;
}

struct Record {
  json j;
  SourceLoc loc;
};

[[noreturn]] void fail(const SourceLoc& loc, const std::string& what) { throw InputError(loc, what); }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::stringstream ss(s);
  while (std::getline(ss, cur, sep)) out.push_back(cur);
  if (!s.empty() && s.back() == sep) out.push_back("");
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// A CSV cell -> JSON by the key's type. Lists: "1x3x224x224" for shapes, "a;b" for names.
json cell(const std::string& key, const std::string& v, const SourceLoc& loc) {
  auto num = [&](const std::string& s) -> int64_t {
    int64_t x = 0;
    if (!parse_integer(s, &x)) fail(loc, fmt::format("'{}': '{}' is not an integer", key, s));
    return x;
  };
  switch (keys().at(key)) {
    case T::Str: return v;
    case T::Int: return num(v);
    case T::Real: {
      double x = 0;
      if (!parse_real(v, &x)) fail(loc, fmt::format("'{}': '{}' is not a number", key, v));
      return x;
    }
    case T::Bool:
      if (v == "true" || v == "1") return true;
      if (v == "false" || v == "0") return false;
      fail(loc, fmt::format("'{}': '{}' is not true or false", key, v));
    case T::Ints: {
      json a = json::array();
      for (const auto& p : split(v, key == "cores" ? ';' : 'x')) a.push_back(num(trim(p)));
      return a;
    }
    case T::Strs: {
      json a = json::array();
      for (const auto& p : split(v, ';')) a.push_back(trim(p));
      return a;
    }
    case T::Shapes: {
      json a = json::array();
      for (const auto& s : split(v, ';')) {
        json sh = json::array();
        for (const auto& p : split(trim(s), 'x')) sh.push_back(num(trim(p)));
        a.push_back(sh);
      }
      return a;
    }
  }
  return v;
}

void check_keys(const Record& r) {
  if (!r.j.is_object()) fail(r.loc, "a record must be a JSON object");
  std::vector<std::string> names;
  for (const auto& [k, t] : keys()) names.push_back(k);
  for (const auto& [k, v] : r.j.items()) {
    if (keys().count(k)) continue;
    std::string hint = config::closest_key(k, names);
    fail(r.loc, hint.empty() ? fmt::format("unknown key '{}' in a layer record", k)
                             : fmt::format("unknown key '{}' in a layer record: did you mean '{}'?", k, hint));
  }
}

const json& need(const Record& r, const std::string& key) {
  if (!r.j.contains(key) || r.j[key].is_null() || (r.j[key].is_string() && r.j[key].get<std::string>().empty()))
    fail(r.loc, fmt::format("record '{}' misses the required field '{}'",
                            r.j.contains("name") && r.j["name"].is_string() ? r.j["name"].get<std::string>() : "?", key));
  return r.j[key];
}

// JSON numbers where integers are expected must be integers: 8.7 is an error, not 8.
void check_integers(const Record& r, const std::string& key, const json& v) {
  if (v.is_number() && !v.is_number_integer())
    fail(r.loc, fmt::format("field '{}': {} is not an integer", key, v.dump()));
  if (v.is_array())
    for (const auto& x : v) check_integers(r, key, x);
}

template <typename V>
V get(const Record& r, const std::string& key) {
  if constexpr (std::is_integral_v<V> || std::is_same_v<V, std::vector<int64_t>>) check_integers(r, key, need(r, key));
  try {
    return need(r, key).get<V>();
  } catch (const json::exception&) {
    fail(r.loc, fmt::format("field '{}' has the wrong type", key));
  }
}

std::vector<int64_t> ints(const Record& r, const std::string& key, size_t n) {
  auto v = get<std::vector<int64_t>>(r, key);
  if (v.size() != n) fail(r.loc, fmt::format("field '{}' must have {} integers, has {}", key, n, v.size()));
  for (auto x : v) {
    if (x < 0) fail(r.loc, fmt::format("field '{}' has a negative value", key));
    if (x > kMaxDim) fail(r.loc, fmt::format("field '{}': {} is larger than the limit {}", key, x, kMaxDim));
  }
  return v;
}

graph::Shape shape_of(const Record& r, const std::string& key) {
  auto v = ints(r, key, 4);
  return {v[0], v[1], v[2], v[3]};
}

// The deepest nesting of [ and { in a JSON text (outside strings): checked before parsing so
// that a hostile record cannot exhaust the stack.
constexpr int kMaxJsonDepth = 16;
int nesting_depth(const std::string& s) {
  int depth = 0, most = 0;
  bool in_str = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_str) {
      if (c == '\\') ++i;
      else if (c == '"') in_str = false;
    } else if (c == '"') {
      in_str = true;
    } else if (c == '[' || c == '{') {
      most = std::max(most, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return most;
}

std::vector<Record> read_jsonl(std::istream& in, const std::string& path, json* header) {
  std::vector<Record> out;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (trim(line).empty()) continue;
    json j;
    if (int d = nesting_depth(line); d > kMaxJsonDepth)
      fail({path, lineno}, fmt::format("JSON nested {} levels deep: at most {} expected", d, kMaxJsonDepth));
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      fail({path, lineno}, fmt::format("not valid JSON: {}", e.what()));
    }
    if (header->is_null()) {
      if (!j.is_object() || !j.contains("nnasim_trace") || !j["nnasim_trace"].is_number_integer())
        fail({path, lineno}, "the first line must be the header {\"nnasim_trace\": 1, \"model\": ..., \"hardware\": ...}");
      int v = j["nnasim_trace"].get<int>();
      if (v > kTraceVersion || v < 1)
        fail({path, lineno}, fmt::format("trace version {} is not one this nnasim reads (it reads version {})", v,
                                         kTraceVersion));
      *header = j;
      continue;
    }
    out.push_back({j, {path, lineno}});
  }
  if (header->is_null()) fail({path, 0}, "the trace is empty: expected a header line and layer records");
  return out;
}

std::vector<Record> read_csv(std::istream& in, const std::string& path, json* header) {
  std::vector<Record> out;
  std::string line;
  int lineno = 0;
  std::vector<std::string> cols;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    if (line[0] == '#') {
      // "# nnasim_trace 1 model=NAME hardware=NAME"
      std::stringstream ss(line.substr(1));
      std::string tok;
      while (ss >> tok) {
        auto eq = tok.find('=');
        if (tok == "nnasim_trace" && ss >> tok) {
          int v = std::atoi(tok.c_str());
          if (v > kTraceVersion || v < 1)
            fail({path, lineno}, fmt::format("trace version {} is not one this nnasim reads (it reads version {})",
                                             tok, kTraceVersion));
          (*header)["nnasim_trace"] = v;
        } else if (eq != std::string::npos) {
          (*header)[tok.substr(0, eq)] = tok.substr(eq + 1);
        }
      }
      continue;
    }
    auto cells = split(line, ',');
    if (cols.empty()) {
      for (auto& c : cells) {
        c = trim(c);
        if (!keys().count(c)) {
          std::vector<std::string> names;
          for (const auto& [k, t] : keys()) names.push_back(k);
          std::string hint = config::closest_key(c, names);
          fail({path, lineno}, hint.empty() ? fmt::format("unknown column '{}'", c)
                                            : fmt::format("unknown column '{}': did you mean '{}'?", c, hint));
        }
      }
      cols = cells;
      continue;
    }
    if (cells.size() != cols.size())
      fail({path, lineno}, fmt::format("the row has {} cells but the header has {} columns", cells.size(), cols.size()));
    Record r{json::object(), {path, lineno}};
    for (size_t i = 0; i < cols.size(); ++i) {
      std::string v = trim(cells[i]);
      if (v.empty()) continue;
      r.j[cols[i]] = cell(cols[i], v, r.loc);
    }
    // compression_* columns -> the nested object of the JSON form.
    if (r.j.contains("compression_clusters")) {
      json c;
      for (const char* k : {"clusters", "index_bits", "kernels", "codebook_entries", "scale_bits"}) {
        std::string col = std::string("compression_") + k;
        if (r.j.contains(col)) c[k] = r.j[col], r.j.erase(col);
      }
      r.j["compression"] = c;
    }
    out.push_back(std::move(r));
  }
  if (cols.empty()) fail({path, 0}, "the trace is empty: expected a header row of record keys and layer rows");
  return out;
}

graph::Layer to_layer(const Record& r, const graph::GraphBuilder& so_far) {
  using graph::Op;
  graph::Layer l;
  l.loc = r.loc;
  l.name = get<std::string>(r, "name");
  std::string op = get<std::string>(r, "op");
  if (op == "input") {
    l.op = Op::Input;
  } else if (!graph::parse_op(op, &l.op) || l.op == Op::Input) {
    fail(r.loc, fmt::format("record '{}' has unknown op '{}': expected input, conv, fc, maxpool, avgpool, "
                            "globalavgpool, add, mul, concat, activation, batchnorm or pad", l.name, op));
  }
  auto bits = [&](const char* key) {
    const int64_t b = get<int64_t>(r, key);
    if (b < 1 || b > 32) fail(r.loc, fmt::format("field '{}' is {}: expected 1 to 32 bits", key, b));
    return static_cast<int>(b);
  };
  l.quant.act_bits = bits("act_bits");
  if (!parse_num_format(get<std::string>(r, "format"), &l.quant.format))
    fail(r.loc, fmt::format("unknown format '{}': expected int, fp8-e4m3, fp8-e5m2 or lns", get<std::string>(r, "format")));
  if (l.op == Op::Input) {
    l.out = shape_of(r, "output_shape");
    return l;
  }
  for (const auto& name : get<std::vector<std::string>>(r, "inputs")) {
    int p = so_far.find(name);
    if (p < 0) fail(r.loc, fmt::format("record '{}' reads '{}', which is not a record before it", l.name, name));
    l.inputs.push_back(p);
  }
  if (l.op == Op::Conv || l.op == Op::MaxPool || l.op == Op::AvgPool) {
    auto k = ints(r, "kernel", 2), s = ints(r, "stride", 2), p = ints(r, "pad", 4);
    l.kh = int(k[0]), l.kw = int(k[1]), l.sh = int(s[0]), l.sw = int(s[1]);
    l.pad_t = int(p[0]), l.pad_l = int(p[1]), l.pad_b = int(p[2]), l.pad_r = int(p[3]);
  }
  if (l.op == Op::Pad) {
    auto p = ints(r, "pad", 4);
    l.pad_t = int(p[0]), l.pad_l = int(p[1]), l.pad_b = int(p[2]), l.pad_r = int(p[3]);
  }
  if (l.op == Op::MaxPool || l.op == Op::AvgPool) l.ceil_mode = r.j.contains("ceil_mode") && get<bool>(r, "ceil_mode");
  if (l.op == Op::Conv) {
    const int64_t groups = get<int64_t>(r, "groups");
    if (groups < 1 || groups > kMaxDim) fail(r.loc, fmt::format("field 'groups' is {}: expected 1 to {}", groups, kMaxDim));
    l.groups = static_cast<int>(groups);
    if (r.j.contains("dilation")) {
      auto d = ints(r, "dilation", 2);
      l.dh = int(d[0]), l.dw = int(d[1]);
    }
  }
  if (l.has_weights()) {
    l.out_channels = shape_of(r, "output_shape").c;
    l.has_bias = get<bool>(r, "bias");
    l.quant.weight_bits = bits("weight_bits");
    if (r.j.contains("bias_bits")) l.quant.bias_bits = bits("bias_bits");
    need(r, "macs");
  }
  if (l.op == Op::Activation && !graph::parse_act(get<std::string>(r, "act"), &l.act))
    fail(r.loc, fmt::format("unknown activation '{}'", get<std::string>(r, "act")));
  if (r.j.contains("fused"))
    for (const auto& a : get<std::vector<std::string>>(r, "fused")) {
      graph::Act act;
      if (!graph::parse_act(a, &act)) fail(r.loc, fmt::format("unknown fused activation '{}'", a));
      l.fused.push_back(act);
    }
  if (r.j.contains("compression")) {
    const json& c = r.j["compression"];
    try {
      l.compression.clusters = c.at("clusters").get<int>();
      l.compression.index_bits = c.at("index_bits").get<int64_t>();
      l.compression.kernels = c.at("kernels").get<int64_t>();
      l.compression.codebook_entries = c.at("codebook_entries").get<int64_t>();
      l.compression.scale_bits = c.at("scale_bits").get<int>();
    } catch (const json::exception&) {
      fail(r.loc, "compression needs clusters, index_bits, kernels, codebook_entries and scale_bits");
    }
    const auto& z = l.compression;
    if (z.clusters < 1 || z.clusters > 65536 || z.index_bits < 0 || z.index_bits > 32 || z.scale_bits < 0 ||
        z.scale_bits > 32 || z.kernels < 0 || z.kernels > kMaxDim || z.codebook_entries < 0 ||
        z.codebook_entries > kMaxDim)
      fail(r.loc, "compression: clusters 1 to 65536, index_bits and scale_bits 0 to 32, kernels and "
                  "codebook_entries 0 to 2^31-1 expected");
  }
  return l;
}

}  // namespace

Trace read_trace(const std::string& path) {
  std::istringstream in(read_text_file(path, "a layer trace (JSON Lines or CSV)"));
  const bool csv = std::filesystem::path(path).extension() == ".csv";
  json header;
  std::vector<Record> recs = csv ? read_csv(in, path, &header) : read_jsonl(in, path, &header);
  if (recs.empty()) fail({path, 0}, "the trace has no layer records");
  Trace t;
  auto text = [&](const char* key, const std::string& otherwise) {
    if (!header.contains(key)) return otherwise;
    if (!header[key].is_string()) fail({path, 1}, fmt::format("header field '{}' must be a string", key));
    return header[key].get<std::string>();
  };
  t.model = text("model", std::filesystem::path(path).stem().string());
  t.hardware = text("hardware", "");
  t.mode = text("mode", "");
  if (!t.mode.empty() && t.mode != "steady" && t.mode != "cold")
    fail({path, 1}, fmt::format("header mode '{}' is not steady or cold", t.mode));
  graph::GraphBuilder b(t.model, path);
  for (const auto& r : recs) {
    check_keys(r);
    graph::Layer l = to_layer(r, b);
    if (b.graph().layers.empty() && l.op != graph::Op::Input)
      fail(r.loc, "the first record must be the network input (op: input)");
    const int idx = b.add(std::move(l));
    const auto& added = b.graph().layers[idx];
    graph::Shape declared = shape_of(r, "output_shape");
    if (declared != added.out)
      fail(r.loc, fmt::format("record '{}': output_shape {} does not match the {} its inputs and geometry give",
                              added.name, declared.str(), added.out.str()));
    Measured m;
    if (r.j.contains("measured_seconds")) m.seconds = get<double>(r, "measured_seconds");
    if (r.j.contains("measured_energy_joules")) m.energy_joules = get<double>(r, "measured_energy_joules");
    if (m.seconds && *m.seconds < 0) fail(r.loc, "measured_seconds is negative");
    if (m.energy_joules && *m.energy_joules < 0) fail(r.loc, "measured_energy_joules is negative");
    t.measured.push_back(m);
  }
  t.graph = b.finish();
  for (size_t i = 0; i < recs.size(); ++i) {
    const auto& r = recs[i];
    const auto& l = t.graph.layers[i];
    if (r.j.contains("macs") && get<int64_t>(r, "macs") != l.cost.macs)
      fail(r.loc, fmt::format("record '{}': macs {} does not match its shapes, which give {}", l.name,
                              get<int64_t>(r, "macs"), l.cost.macs));
  }
  return t;
}

}  // namespace nnasim::trace
