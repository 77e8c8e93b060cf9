#include "sim/sweep/spec.h"

#include <fmt/format.h>

#include "sim/common/files.h"
#include "sim/common/parse.h"
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "sim/config/section.h"
#include "sim/config/units.h"
#include "sim/graph/compress.h"
#include "sim/graph/load.h"

namespace nnasim::sweep {
namespace fs = std::filesystem;
using config::Kind;
using config::Origin;
using config::Param;
using config::Section;

namespace {

Param param(std::string key, Kind k, bool required, std::string desc) {
  Param p;
  p.key = std::move(key), p.kind = k, p.required = required, p.desc = std::move(desc);
  return p;
}

const std::vector<Param>& top_params() {
  static const std::vector<Param> t = {
      param("name", Kind::String, false, "name of the sweep"),
      param("description", Kind::String, false, "what the sweep is for"),
      param("hardware", Kind::String, false, "base hardware file (or give a 'hardware' axis)"),
      param("models", Kind::List, true, "list of models (zoo names or files), or 'zoo' for the ImageNet classifiers of models/zoo.yaml"),
      param("set", Kind::Section, false, "fixed settings of every point: hardware keys and run options"),
      param("axes", Kind::Section, false, "axes of the cartesian grid: key -> list of values or {from, to, step|factor}"),
      param("zip", Kind::List, false, "groups of axes that move together: list of {key: [values], ...}"),
  };
  return t;
}

const std::vector<Param>& range_params() {
  static const std::vector<Param> t = {
      param("from", Kind::String, true, "first value, with its unit when the key needs one"),
      param("to", Kind::String, true, "last value (included when the steps reach it)"),
      param("step", Kind::String, false, "added at each step (same unit as from)"),
      param("factor", Kind::String, false, "multiplied at each step (a plain number > 1)"),
  };
  return t;
}

const std::vector<std::string> kRunKeys = {"weight_bits", "act_bits", "number_format", "mode", "objective", "compress", "batch",
                                           "hardware"};

AxisKind kind_of(const std::string& key) {
  if (key == "weight_bits") return AxisKind::WeightBits;
  if (key == "act_bits") return AxisKind::ActBits;
  if (key == "number_format") return AxisKind::NumberFormat;
  if (key == "mode") return AxisKind::Mode;
  if (key == "objective") return AxisKind::Objective;
  if (key == "compress") return AxisKind::Compress;
  if (key == "batch") return AxisKind::Batch;
  if (key == "hardware") return AxisKind::HardwareFile;
  return AxisKind::HardwareKey;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::string format_number(double v) {
  double r = std::round(v);
  if (std::fabs(v - r) <= 1e-9 * std::max(1.0, std::fabs(v)) && std::fabs(r) < 1e15)
    return fmt::format("{}", static_cast<long long>(r));
  return fmt::format("{:.12g}", v);
}

const std::vector<config::Quantity> kQuantities = {
    config::Quantity::Bytes, config::Quantity::Bandwidth, config::Quantity::Frequency, config::Quantity::Energy,
    config::Quantity::Time, config::Quantity::EnergyPerByte, config::Quantity::Power, config::Quantity::Area};

// {from, to, step|factor} -> values written in the unit of `from`.
std::vector<Value> range_values(const YAML::Node& node, const Origin& origin, const std::string& key) {
  Section r(node, key, origin, range_params());
  const SourceLoc where = r.loc();
  if (r.has("step") == r.has("factor"))
    r.fail(r.has("factor") ? "factor" : "from", "a range needs exactly one of 'step' or 'factor'");
  double from = 0, to = 0;
  std::string ufrom, uto;
  if (!split_number(r.str("from"), &from, &ufrom)) r.fail("from", fmt::format("'{}' is not a number", r.str("from")));
  if (!split_number(r.str("to"), &to, &uto)) r.fail("to", fmt::format("'{}' is not a number", r.str("to")));
  double step = 0, factor = 0;
  if (ufrom.empty() != uto.empty())
    r.fail(ufrom.empty() ? "to" : "from", "'from' and 'to' must both have a unit or both be plain numbers");
  if (!ufrom.empty()) {
    // The unit's kind is whatever kind accepts it; `to` and `step` must be of the same kind.
    const config::Quantity* q = nullptr;
    for (const auto& k : kQuantities) {
      try {
        config::parse_quantity(r.str("from"), k);
        q = &k;
        break;
      } catch (const std::invalid_argument&) {
      }
    }
    if (!q) r.fail("from", fmt::format("unknown unit '{}'", ufrom));
    auto in_from_unit = [&](const std::string& k) {
      try {
        return config::parse_quantity(r.str(k), *q) / config::parse_quantity("1 " + ufrom, *q);
      } catch (const std::invalid_argument& e) {
        r.fail(k, fmt::format("expected {} like 'from' ({})", config::quantity_name(*q), e.what()));
      }
    };
    to = in_from_unit("to");
    if (r.has("step")) step = in_from_unit("step");
  } else if (r.has("step")) {
    std::string u;
    if (!split_number(r.str("step"), &step, &u) || !u.empty())
      r.fail("step", fmt::format("'{}' is not a plain number", r.str("step")));
  }
  if (r.has("factor")) {
    std::string u;
    if (!split_number(r.str("factor"), &factor, &u) || !u.empty() || !(factor > 1))
      r.fail("factor", fmt::format("'{}' is not a number greater than 1", r.str("factor")));
    if (!(from > 0)) r.fail("from", "a range with a factor must start above zero");
  }
  if (r.has("step") && !(step > 0)) r.fail("step", "must be greater than zero");
  if (from > to) r.fail("to", fmt::format("is below 'from' ({} < {})", format_number(to), format_number(from)));
  std::vector<Value> out;
  const double slack = 1e-9 * std::max(1.0, std::fabs(to));
  for (int i = 0;; ++i) {
    double v = r.has("step") ? from + i * step : from * std::pow(factor, i);
    if (v > to + slack) break;
    if (out.size() >= 10000) r.fail("to", "the range has more than 10000 values");
    std::string text = format_number(v);
    out.push_back({ufrom.empty() ? text : text + " " + ufrom, where});
  }
  return out;
}

std::vector<Value> axis_values(const YAML::Node& v, const Origin& origin, const std::string& key, const SourceLoc& kloc) {
  if (!v || v.IsNull()) throw InputError(kloc, fmt::format("axis '{}' has no values: expected a list or a range", key));
  if (v.IsMap()) return range_values(v, origin, key);
  if (v.IsScalar()) return {{v.as<std::string>(), config::loc_of(v, origin)}};
  std::vector<Value> out;
  for (const auto& item : v) {
    if (!item.IsScalar())
      throw InputError(config::loc_of(item, origin), fmt::format("axis '{}': each value must be a single value", key));
    out.push_back({item.as<std::string>(), config::loc_of(item, origin)});
  }
  if (out.empty()) throw InputError(kloc, fmt::format("axis '{}' is empty: expected at least one value", key));
  return out;
}

struct Resolver {
  std::string spec_dir, source_dir;

  std::string hardware(const std::string& text, const SourceLoc& where) const {
    std::vector<fs::path> tries;
    fs::path p(text);
    if (p.is_absolute()) {
      tries.push_back(p);
    } else {
      tries = {fs::path(spec_dir) / p, p, fs::path(source_dir) / p};
      if (!p.has_extension() && text.find('/') == std::string::npos)
        tries.push_back(fs::path(source_dir) / "configs" / "hw" / (text + ".yaml"));
    }
    for (const auto& t : tries)
      if (is_regular_file(t.string())) return fs::absolute(t).lexically_normal().string();
    throw InputError(where, fmt::format("no hardware file '{}' (looked next to the sweep file, in the working "
                                        "directory, in {} and in its configs/hw)", text, source_dir));
  }

  std::string model(const std::string& text, const SourceLoc& where) const {
    fs::path local = fs::path(spec_dir) / text;
    std::string p = text.find('/') != std::string::npos && is_regular_file(local.string())
                        ? local.lexically_normal().string()
                        : graph::resolve_model_path(text);
    if (is_regular_file(p) && same_file(p, zoo_path()))  // `models: [zoo]` ran zoo.yaml as a network
      throw InputError(where, fmt::format("'{}' is the zoo's list of networks, not a model: write 'models: zoo' "
                                          "(not in a list) to sweep its networks", text));
    if (is_regular_file(p)) return p;
    throw InputError(where, fmt::format("unknown model '{}': no such file, and no model of that name in {}", text,
                                        graph::models_dir()));
  }
};

// True when the dotted key names a node of the YAML tree.
bool has_path(const YAML::Node& root, const std::string& dotted) {
  YAML::Node n = root;
  size_t start = 0;
  while (true) {
    size_t dot = dotted.find('.', start);
    std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!n.IsMap() || !n[part]) return false;
    n = n[part];
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

// A batch axis value: an integer written as one (1e1, 2.0 and 0x10 are errors), 1 to 2^20.
int64_t batch_of(const Value& v) {
  int64_t n = 0;
  if (!parse_integer(trim(v.text), &n) || n < 1 || n > 1048576)
    throw InputError(v.where, fmt::format("'{}' is not a batch size: expected an integer from 1 to 1048576", v.text));
  return n;
}

int bits_of(const std::string& text) {
  int64_t n = 0;
  if (!parse_integer(text, &n) || n < 1 || n > 32) throw InternalError("bit width '" + text + "' was not checked");
  return static_cast<int>(n);
}

// What a checked axis value means, for finding a value listed twice in another spelling (1 MiB and
// 1024 KiB, 8 and 08).
std::string canonical(const Axis& a, const Value& v) {
  switch (a.kind) {
    case AxisKind::WeightBits:
    case AxisKind::ActBits: return std::to_string(bits_of(v.text));
    case AxisKind::Batch: return std::to_string(batch_of(v));
    case AxisKind::HardwareKey: {
      double n = 0;
      std::string unit;
      if (!split_number(v.text, &n, &unit)) return v.text;
      if (unit.empty()) return format_number(n);
      for (auto q : kQuantities) try {
          return fmt::format("{}:{}", int(q), format_number(config::parse_quantity(v.text, q)));
        } catch (const std::invalid_argument&) {
        }
      return v.text;
    }
    default: return v.text;
  }
}

void check_value(const Axis& a, const Value& v) {
  auto fail = [&](const std::string& what) { throw InputError(v.where, fmt::format("'{}': {}", a.key, what)); };
  switch (a.kind) {
    case AxisKind::WeightBits:
    case AxisKind::ActBits: {
      int64_t n = 0;
      if (!parse_integer(v.text, &n) || n < 1 || n > 32)
        fail(fmt::format("'{}' is not a bit width: expected an integer from 1 to 32", v.text));
      break;
    }
    case AxisKind::NumberFormat: {
      NumFormat f;
      if (!parse_num_format(v.text, &f))
        fail(fmt::format("unknown number format '{}': expected int, fp8-e4m3, fp8-e5m2 or lns", v.text));
      break;
    }
    case AxisKind::Mode:
      if (v.text != "steady" && v.text != "cold") fail(fmt::format("unknown mode '{}': expected steady or cold", v.text));
      break;
    case AxisKind::Objective:
      if (v.text != "latency" && v.text != "energy" && v.text != "edp")
        fail(fmt::format("unknown objective '{}': expected latency, energy or edp", v.text));
      break;
    case AxisKind::Batch:
      batch_of(v);
      break;
    case AxisKind::Compress:
      if (v.text != "none") graph::parse_compress(v.text, v.where);
      break;
    case AxisKind::HardwareFile:
    case AxisKind::HardwareKey:
      break;
  }
}

}  // namespace

bool split_number(const std::string& text, double* number, std::string* unit) {
  std::string t = trim(text);
  if (t.empty() || !(std::isdigit(static_cast<unsigned char>(t[0])) || t[0] == '-' || t[0] == '+' || t[0] == '.'))
    return false;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  // Decimal only, as everywhere else: strtod alone reads 0x10 as 16.
  double checked = 0;
  if (end == t.c_str() || !std::isfinite(v) || !parse_real(t.substr(0, size_t(end - t.c_str())), &checked)) return false;
  *number = v;
  *unit = trim(std::string(end));
  return true;
}

std::string zoo_path() { return (fs::path(graph::models_dir()) / "zoo.yaml").string(); }

Zoo load_zoo(const std::string& path) {
  Zoo z;
  if (!path_exists(path)) return z;
  YAML::Node root = config::load_yaml_file(path);
  YAML::Node nets = root["networks"];
  if (!nets || !nets.IsSequence()) return z;
  for (const auto& n : nets) {
    if (!n.IsMap() || !n["name"]) continue;
    std::string name = n["name"].as<std::string>();
    if (n["file"] && n["file"].IsScalar())
      z.files[name] = (fs::path(path).parent_path() / n["file"].as<std::string>()).string();
    // `models: zoo` is the ImageNet classifiers (those with a top-1, the Series4 study's
    // networks); the further networks of issue 10 (with a `task`) are listed by name.
    if (n["task"]) continue;
    z.names.push_back(name);
    if (n["top1"] && n["top1"].IsScalar()) z.top1[name] = n["top1"].as<std::string>();
    const YAML::Node bits = n["top1_by_weight_bits"];
    if (bits && bits.IsMap())
      for (const auto& kv : bits) {
        int b = 0;
        try {
          b = kv.first.as<int>();
        } catch (const YAML::Exception&) {
          throw InputError(config::loc_of(kv.first, {path, {}}), "top1_by_weight_bits: expected a bit depth as the key");
        }
        const YAML::Node& v = kv.second;
        if (v.IsScalar() && v.as<std::string>() == "unknown") continue;
        if (!v.IsMap() || !v["top1"] || !v["source"])
          throw InputError(config::loc_of(v, {path, {}}),
                           "top1_by_weight_bits: expected 'unknown' or {top1: PERCENT, source: TEXT} (every figure names its source)");
        z.top1_by_bits[name][b] = {v["top1"].as<std::string>(), v["source"].as<std::string>()};
      }
  }
  return z;
}

std::vector<std::string> Point::identity() const {
  std::vector<std::string> id = axis_values;
  id.push_back(model);
  id.push_back(hw_name);
  id.push_back(weight_bits ? std::to_string(*weight_bits) : "");
  return id;
}

std::vector<std::string> Point::argv(const std::string& exe) const {
  std::vector<std::string> a = {exe, "run", "--hw", hw_path, "--model", model_path};
  if (weight_bits) a.insert(a.end(), {"--weight-bits", std::to_string(*weight_bits)});
  if (act_bits) a.insert(a.end(), {"--act-bits", std::to_string(*act_bits)});
  if (!number_format.empty()) a.insert(a.end(), {"--number-format", number_format});
  if (!compress.empty() && compress != "none") a.insert(a.end(), {"--compress", compress});
  if (!mode.empty()) a.insert(a.end(), {"--mode", mode});
  if (!objective.empty()) a.insert(a.end(), {"--objective", objective});
  if (batch) a.insert(a.end(), {"--batch", std::to_string(*batch)});
  for (const auto& o : overrides) a.insert(a.end(), {"--set", o.key + "=" + o.value});
  a.insert(a.end(), {"--format", "json"});
  return a;
}

SweepSpec load_sweep(const std::string& path, const SpecOptions& opt) {
  SweepSpec spec;
  spec.file = path;
  YAML::Node root = config::load_yaml_file(path);
  Origin origin{path, {}};
  Section top(root, "", origin, top_params());
  if (top.has("name")) spec.name = top.str("name");
  Resolver resolve{fs::path(path).parent_path().string(), opt.source_dir};
  if (resolve.spec_dir.empty()) resolve.spec_dir = ".";

  // --- models ---
  struct ModelRef {
    std::string name, path;
    SourceLoc where;
  };
  std::vector<ModelRef> models;
  const Zoo zoo = load_zoo(zoo_path());
  {
    YAML::Node m = top.node("models");
    SourceLoc mloc = top.loc("models");
    if (m.IsScalar() && m.as<std::string>() == "zoo") {
      if (zoo.names.empty()) throw InputError(mloc, fmt::format("'models: zoo' but {} lists no networks", zoo_path()));
      for (const auto& n : zoo.names) models.push_back({n, resolve.model(n, mloc), mloc});
    } else {
      for (const auto& v : axis_values(m, origin, "models", mloc)) models.push_back({v.text, "", v.where});
      for (size_t i = 0; i < models.size(); ++i) {
        auto& mr = models[i];
        mr.path = resolve.model(mr.name, mr.where);
        for (size_t j = 0; j < i; ++j)
          if (models[j].name == mr.name || same_file(models[j].path, mr.path))
            throw InputError(mr.where, models[j].name == mr.name
                                           ? fmt::format("model '{}' is listed twice", mr.name)
                                           : fmt::format("model '{}' is the file of '{}', listed before", mr.name,
                                                         models[j].name));
      }
    }
  }

  // --- axes: set, axes, zip (document order within each) ---
  std::set<std::string> keys;
  auto add_axis = [&](const YAML::Node& k, const YAML::Node& v, bool column, int dim) -> Axis& {
    Axis a;
    a.key = k.as<std::string>();
    a.where = config::loc_of(k, origin);
    a.column = column;
    a.dimension = dim;
    if (a.key == "model" || a.key == "models")
      throw InputError(a.where, "models are not an axis: list them in the top-level 'models'");
    a.kind = kind_of(a.key);
    if (a.kind == AxisKind::HardwareKey) {
      bool ok = !a.key.empty() && a.key.front() != '.' && a.key.back() != '.' && a.key.find("..") == std::string::npos;
      if (!ok) throw InputError(a.where, fmt::format("'{}' is not a dotted key path like ocm.size", a.key));
    }
    if (!keys.insert(a.key).second) throw InputError(a.where, fmt::format("'{}' is given twice", a.key));
    if (column) {
      a.values = axis_values(v, origin, a.key, a.where);
    } else {
      if (!v || !v.IsScalar())
        throw InputError(config::loc_of(v ? v : k, origin), fmt::format("set: '{}' must be a single value", a.key));
      a.values = {{v.as<std::string>(), config::loc_of(v, origin)}};
    }
    std::map<std::string, std::string> seen;  // meaning -> the value as first written
    for (const auto& val : a.values) {
      check_value(a, val);
      auto [first, fresh] = seen.emplace(canonical(a, val), val.text);
      if (!fresh)
        throw InputError(val.where, first->second == val.text
                                        ? fmt::format("axis '{}': value '{}' is listed twice", a.key, val.text)
                                        : fmt::format("axis '{}': value '{}' is '{}', listed before", a.key, val.text,
                                                      first->second));
    }
    spec.axes.push_back(std::move(a));
    return spec.axes.back();
  };
  auto check_map = [&](const YAML::Node& n, const std::string& what) {
    if (!n.IsMap()) throw InputError(config::loc_of(n, origin), fmt::format("'{}' must be a map of key: values", what));
  };
  int dims = 1;  // dimension 0: models
  if (top.has("set")) {
    YAML::Node s = top.node("set");
    check_map(s, "set");
    for (const auto& kv : s) add_axis(kv.first, kv.second, false, -1);
  }
  if (top.has("axes")) {
    YAML::Node s = top.node("axes");
    check_map(s, "axes");
    for (const auto& kv : s) add_axis(kv.first, kv.second, true, dims++);
  }
  if (top.has("zip")) {
    YAML::Node z = top.node("zip");
    if (!z.IsSequence() || z.size() == 0)
      throw InputError(top.loc("zip"), "'zip' must be a list of groups: - {key: [values], key: [values]}");
    for (const auto& group : z) {
      check_map(group, "zip group");
      if (group.size() == 0) throw InputError(config::loc_of(group, origin), "a zip group is empty");
      size_t first = spec.axes.size();
      for (const auto& kv : group) add_axis(kv.first, kv.second, true, dims);
      for (size_t i = first + 1; i < spec.axes.size(); ++i)
        if (spec.axes[i].values.size() != spec.axes[first].values.size())
          throw InputError(spec.axes[i].where,
                           fmt::format("zip: '{}' has {} values but '{}' has {}: axes zipped together need as many "
                                       "values each", spec.axes[i].key, spec.axes[i].values.size(),
                                       spec.axes[first].key, spec.axes[first].values.size()));
      ++dims;
    }
  }

  // --- hardware files: the top-level key, or a `hardware` axis or setting ---
  const Axis* hw_axis = nullptr;
  for (const auto& a : spec.axes)
    if (a.kind == AxisKind::HardwareFile) hw_axis = &a;
  if (hw_axis && top.has("hardware"))
    throw InputError(hw_axis->where, "'hardware' is given both at the top and as an axis: keep one");
  if (!hw_axis && !top.has("hardware"))
    throw InputError(top.loc(), "missing 'hardware': expected a base hardware file or a 'hardware' axis");
  std::map<std::string, std::string> hw_files;  // as written -> resolved
  std::vector<std::pair<std::string, SourceLoc>> hw_written;
  if (hw_axis) {
    for (const auto& v : hw_axis->values) hw_written.push_back({v.text, v.where});
  } else {
    hw_written.push_back({top.str("hardware"), top.loc("hardware")});
  }
  for (const auto& [text, where] : hw_written) hw_files[text] = resolve.hardware(text, where);

  // Keys first. Keys the file has are known (the file loads); keys it lacks are added together with
  // their first values. An error that then points into the file (a new section has no line there)
  // is the fault of a key: the one that causes it on its own, else the first of them.
  for (const auto& [text, where] : hw_written) {
    const std::string& file = hw_files[text];
    config::load_hardware(file);  // errors in the file itself point into the file
    YAML::Node tree = config::load_yaml_file(file);
    std::vector<config::Override> added;
    for (const auto& a : spec.axes)
      if (a.kind == AxisKind::HardwareKey && !has_path(tree, a.key)) added.push_back({a.key, a.values.front().text, a.where});
    if (added.empty()) continue;
    try {
      config::load_hardware(file, added);
    } catch (const InputError& e) {
      if (e.loc().file != file) throw;
      for (const auto& o : added) {
        try {
          config::load_hardware(file, {o});
        } catch (const InputError& alone) {
          throw InputError(o.where, alone.message());
        }
      }
      throw InputError(added.front().where, e.message());
    }
  }

  // --- expansion: models outermost, then the grid's dimensions in order (the last varies fastest) ---
  std::vector<size_t> dim_size(dims, 0);
  dim_size[0] = models.size();
  for (const auto& a : spec.axes)
    if (a.dimension > 0) dim_size[a.dimension] = a.values.size();
  double total = 1;
  for (size_t n : dim_size) total *= double(n);
  if (total > double(opt.max_points))
    throw InputError({path, 0}, fmt::format("the sweep has {:.0f} points, more than the limit of {}", total, opt.max_points));

  for (size_t i = 0; i < spec.axes.size(); ++i)
    if (spec.axes[i].column && spec.axes[i].kind != AxisKind::HardwareFile && spec.axes[i].kind != AxisKind::WeightBits) {
      spec.column_axes.push_back(i);
      spec.identity_columns.push_back(spec.axes[i].key);
    }
  for (const char* c : {"model", "hardware", "weight_bits"}) spec.identity_columns.push_back(c);

  std::map<std::string, std::shared_ptr<const HardwareSpec>> hw_cache;
  std::map<std::vector<std::string>, size_t> seen_rows;
  std::vector<size_t> idx(dims, 0);
  for (size_t n = 0; n < size_t(total); ++n) {
    Point p;
    p.index = n;
    const ModelRef& m = models[idx[0]];
    p.model = m.name;
    p.model_path = m.path;
    // The zoo's figures belong to its files: a model is matched by its resolved path, not its name
    // (a copy of tinynet saved as resnet50.yaml is not ResNet-50).
    std::string zoo_name;
    for (const auto& [name, file] : zoo.files)
      if (same_file(file, m.path)) zoo_name = name;
    if (auto it = zoo.top1.find(zoo_name); it != zoo.top1.end()) p.top1_fp32 = it->second;
    std::string hw_text = hw_axis ? std::string() : top.str("hardware");
    for (const auto& a : spec.axes) {
      const Value& v = a.values[a.dimension < 0 ? 0 : idx[a.dimension]];
      switch (a.kind) {
        case AxisKind::HardwareKey: p.overrides.push_back({a.key, v.text, v.where}); break;
        case AxisKind::HardwareFile: hw_text = v.text; break;
        case AxisKind::WeightBits: p.weight_bits = bits_of(v.text); break;  // checked by check_value
        case AxisKind::ActBits: p.act_bits = bits_of(v.text); break;
        case AxisKind::NumberFormat: p.number_format = v.text; break;
        case AxisKind::Mode: p.mode = v.text; break;
        case AxisKind::Objective: p.objective = v.text; break;
        case AxisKind::Compress: p.compress = v.text; break;
        case AxisKind::Batch: p.batch = batch_of(v); break;
      }
    }
    // A published figure is for 8-bit activations and uncompressed integer weights of the zoo's file.
    const bool published = (p.number_format.empty() || p.number_format == "int") && p.act_bits.value_or(8) == 8 &&
                           (p.compress.empty() || p.compress == "none");
    if (published) {
      auto zb = zoo.top1_by_bits.find(zoo_name);
      if (zb != zoo.top1_by_bits.end()) {
        auto f = zb->second.find(p.weight_bits.value_or(8));
        if (f != zb->second.end()) p.top1 = f->second.top1, p.top1_source = f->second.source;
      }
    }
    for (size_t ai : spec.column_axes) p.axis_values.push_back(spec.axes[ai].values[idx[spec.axes[ai].dimension]].text);
    p.hw_path = hw_files.at(hw_text);
    // Each distinct hardware is loaded once, with the overrides pointing at the sweep file's lines.
    std::string cache_key = p.hw_path;
    for (const auto& o : p.overrides) cache_key += "\n" + o.key + "=" + o.value;
    auto c = hw_cache.find(cache_key);
    if (c == hw_cache.end())
      c = hw_cache.emplace(cache_key, std::make_shared<const HardwareSpec>(config::load_hardware(p.hw_path, p.overrides))).first;
    p.hw = c->second;
    p.hw_name = p.hw->name;
    auto [prev, fresh] = seen_rows.emplace(p.identity(), n);
    if (!fresh)
      throw InputError(hw_axis ? hw_axis->where : SourceLoc{path, 0},
                       fmt::format("points {} and {} would have the same row ({}): hardware files with the same "
                                   "'name' need another axis to tell them apart", prev->second + 1, n + 1,
                                   fmt::join(p.identity(), ", ")));
    spec.points.push_back(std::move(p));
    for (int d = dims - 1; d >= 0; --d) {
      if (++idx[d] < dim_size[d]) break;
      idx[d] = 0;
    }
  }
  return spec;
}

}  // namespace nnasim::sweep
