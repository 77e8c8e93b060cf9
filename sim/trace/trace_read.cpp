#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <type_traits>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "sim/common/checked.h"
#include "sim/common/files.h"
#include "sim/common/parse.h"
#include "sim/config/section.h"
#include "sim/graph/compress.h"
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
    std::vector<std::set<std::string>> seen;  // the keys of each open object
    std::string repeated;
    auto once = [&](int, json::parse_event_t ev, json& parsed) {
      if (ev == json::parse_event_t::object_start) seen.emplace_back();
      else if (ev == json::parse_event_t::object_end && !seen.empty()) seen.pop_back();
      else if (ev == json::parse_event_t::key && !seen.empty() && !seen.back().insert(parsed.get<std::string>()).second &&
               repeated.empty())
        repeated = parsed.get<std::string>();
      return true;
    };
    try {
      j = json::parse(line, once);
    } catch (const json::exception& e) {
      fail({path, lineno}, fmt::format("not valid JSON: {}", e.what()));
    }
    if (!repeated.empty()) fail({path, lineno}, fmt::format("key '{}' appears twice: each key may appear once", repeated));
    if (header->is_null()) {
      if (!j.is_object() || !j.contains("nnasim_trace") || !j["nnasim_trace"].is_number_integer())
        fail({path, lineno}, "the first line must be the header {\"nnasim_trace\": 1, \"model\": ..., \"hardware\": ...}");
      const int64_t v = j["nnasim_trace"].get<int64_t>();
      if (v > kTraceVersion || v < 1)
        fail({path, lineno}, fmt::format("trace version {} is not one this nnasim reads (it reads version {})", v,
                                         kTraceVersion));
      *header = j;
      (*header)["_line"] = lineno;
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
      // "# nnasim_trace 1 model=NAME hardware=NAME mode=MODE batch=N", only before the column row.
      if (!cols.empty() || !header->is_null())
        fail({path, lineno}, "a '#' header line after the first line: expected '# nnasim_trace 1 key=value ...' "
                             "only as the first line");
      std::stringstream ss(line.substr(1));
      std::string tok;
      while (ss >> tok) {
        auto eq = tok.find('=');
        if (tok == "nnasim_trace") {
          int64_t v = 0;
          if (!(ss >> tok) || !parse_integer(tok, &v) || v > kTraceVersion || v < 1)
            fail({path, lineno}, fmt::format("trace version '{}' is not one this nnasim reads (it reads version {})",
                                             tok, kTraceVersion));
          (*header)["nnasim_trace"] = v;
        } else if (eq != std::string::npos) {
          const std::string key = tok.substr(0, eq);
          if (header->contains(key)) fail({path, lineno}, fmt::format("header key '{}' appears twice", key));
          (*header)[key] = tok.substr(eq + 1);
        } else {
          fail({path, lineno}, fmt::format("header word '{}': expected nnasim_trace N or key=value", tok));
        }
      }
      (*header)["_line"] = lineno;
      continue;
    }
    auto cells = split(line, ',');
    if (cols.empty()) {
      for (size_t i = 0; i < cells.size(); ++i) {
        auto& c = cells[i];
        c = trim(c);
        for (size_t k = 0; k < i; ++k)
          if (cells[k] == c) fail({path, lineno}, fmt::format("column '{}' appears twice", c));
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
  auto bits = [&](const char* key, int64_t most = 32) {
    const int64_t b = get<int64_t>(r, key);
    if (b < 1 || b > most) fail(r.loc, fmt::format("field '{}' is {}: expected 1 to {} bits", key, b, most));
    return static_cast<int>(b);
  };
  l.quant.act_bits = bits("act_bits");
  if (!parse_num_format(get<std::string>(r, "format"), &l.quant.format))
    fail(r.loc, fmt::format("unknown format '{}': expected int, fp8-e4m3, fp8-e5m2 or lns", get<std::string>(r, "format")));
  // A key of another operator is an error, not ignored ({"op": "activation", "kernel": [0, 0]}).
  for (const auto& [k, v] : r.j.items()) {
    static const std::set<std::string> any = {
        "name", "op", "output_shape", "act_bits", "format", "macs", "params", "weight_bytes", "input_bytes",
        "output_bytes", "seconds", "cycles", "dram_read_bytes", "dram_write_bytes", "energy_joules", "cores", "bound"};
    const bool window = l.op == Op::Conv || l.op == Op::MaxPool || l.op == Op::AvgPool;
    const bool weights = l.op == Op::Conv || l.op == Op::FullyConnected;
    const bool applies =
        any.count(k) ||
        (l.op != Op::Input && (k == "inputs" || k == "input_shapes" || k == "fused" || k == "measured_seconds" ||
                               k == "measured_energy_joules")) ||
        (window && (k == "kernel" || k == "stride")) || ((window || l.op == Op::Pad) && k == "pad") ||
        (l.op == Op::Conv && (k == "groups" || k == "dilation" || k == "compression")) ||
        (weights && (k == "weight_shape" || k == "bias" || k == "weight_bits" || k == "bias_bits")) ||
        ((l.op == Op::MaxPool || l.op == Op::AvgPool) && k == "ceil_mode") || (l.op == Op::Activation && k == "act");
    if (!applies) fail(r.loc, fmt::format("record '{}': field '{}' does not apply to op '{}'", l.name, k, op));
  }
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
    if (r.j.contains("bias_bits")) l.quant.bias_bits = bits("bias_bits", 64);
    need(r, "macs");
  }
  if (l.op == Op::Activation && (!graph::parse_act(get<std::string>(r, "act"), &l.act) || l.act == graph::Act::None))
    fail(r.loc, fmt::format("unknown activation '{}'", get<std::string>(r, "act")));
  if (r.j.contains("fused"))
    for (const auto& a : get<std::vector<std::string>>(r, "fused")) {
      graph::Act act;
      if (!graph::parse_act(a, &act) || act == graph::Act::None) fail(r.loc, fmt::format("unknown fused activation '{}'", a));
      l.fused.push_back(act);
    }
  if (r.j.contains("compression")) {
    const json& c = r.j["compression"];
    // Integers in range, read without narrowing (4294967360 clusters is an error, not 64).
    auto field = [&](const char* key, int64_t lo, int64_t hi) {
      if (!c.is_object() || !c.contains(key) || !c[key].is_number_integer())
        fail(r.loc, "compression needs clusters, index_bits, kernels, codebook_entries and scale_bits as integers");
      const int64_t v = c[key].get<int64_t>();
      if (v < lo || v > hi) fail(r.loc, fmt::format("compression '{}' is {}: expected {} to {}", key, v, lo, hi));
      return v;
    };
    l.compression.clusters = int(field("clusters", 1, 65536));
    l.compression.index_bits = field("index_bits", 0, 32);
    l.compression.kernels = field("kernels", 0, kMaxDim);
    l.compression.codebook_entries = field("codebook_entries", 0, kMaxDim);
    l.compression.scale_bits = int(field("scale_bits", 0, 32));
    if (!graph::cluster_eligible(l))
      fail(r.loc, fmt::format("record '{}': compression applies to 3x3 convolutions (clustered kernels), not this {}",
                              l.name, op));
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
  const SourceLoc hloc{path, header.contains("_line") ? header["_line"].get<int>() : 1};
  const std::vector<std::string> header_keys = {"nnasim_trace", "model", "hardware", "mode", "seconds", "layers", "batch"};
  for (const auto& [k, v] : header.items()) {
    if (k == "_line" || std::find(header_keys.begin(), header_keys.end(), k) != header_keys.end()) continue;
    std::string hint = config::closest_key(k, header_keys);
    fail(hloc, hint.empty() ? fmt::format("unknown header key '{}'", k)
                            : fmt::format("unknown header key '{}': did you mean '{}'?", k, hint));
  }
  auto text = [&](const char* key, const std::string& otherwise) {
    if (!header.contains(key)) return otherwise;
    if (!header[key].is_string()) fail(hloc, fmt::format("header field '{}' must be a string", key));
    return header[key].get<std::string>();
  };
  // An integer header field (a JSON integer, or the CSV header's text); `otherwise` when absent.
  auto integer = [&](const char* key, int64_t otherwise) {
    if (!header.contains(key)) return otherwise;
    int64_t v = 0;
    const json& h = header[key];
    if (h.is_number_integer()) v = h.get<int64_t>();
    else if (!h.is_string() || !parse_integer(h.get<std::string>(), &v))
      fail(hloc, fmt::format("header field '{}' must be an integer, got {}", key, h.dump()));
    return v;
  };
  t.model = text("model", std::filesystem::path(path).stem().string());
  t.hardware = text("hardware", "");
  t.mode = text("mode", "");
  if (!t.mode.empty() && t.mode != "steady" && t.mode != "cold")
    fail(hloc, fmt::format("header mode '{}' is not steady or cold", t.mode));
  // The recording wrote how many records follow: fewer is a truncated file.
  if (const int64_t n = integer("layers", int64_t(recs.size())); n != int64_t(recs.size()))
    fail(hloc, fmt::format("the header says {} layer records, the trace holds {} (truncated?)", n, recs.size()));
  graph::GraphBuilder b(t.model, path);
  for (const auto& r : recs) {
    check_keys(r);
    graph::Layer l = to_layer(r, b);
    if (b.graph().layers.empty() && l.op != graph::Op::Input)
      fail(r.loc, "the first record must be the network input (op: input)");
    const int idx = b.add(std::move(l));
    const auto& added = b.graph().layers[idx];
    if (const auto& z = added.compression; z.clusters > 0) {
      // The block must describe this layer's kernels: a hand-written one of 0 kernels stored nothing.
      const graph::Compression want = graph::cluster_layout(added, graph::input_shape(b.graph(), added, 0).c, z.clusters);
      if (z.kernels != want.kernels || z.codebook_entries != want.codebook_entries || z.index_bits < want.index_bits)
        fail(r.loc, fmt::format("record '{}': compression of {} clusters describes {} kernels, {} codebook entries and "
                                "{}-bit indices; the layer has {} kernels, so expected {}, {} and at least {}",
                                added.name, z.clusters, z.kernels, z.codebook_entries, z.index_bits, want.kernels,
                                want.kernels, want.codebook_entries, want.index_bits));
    }
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
  // A batched recording: its MACs and bytes count every inference of the run.
  if (const int64_t batch = integer("batch", 1); batch != 1) graph::set_batch(t.graph, batch, hloc);
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
