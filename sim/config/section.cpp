#include "sim/config/section.h"

#include "sim/common/files.h"
#include "sim/common/parse.h"
#include "sim/common/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

namespace nnasim::config {

SourceLoc loc_of(const YAML::Node& node, const Origin& origin, const std::string& path) {
  if (!path.empty()) {
    // An override names this key or a section above it (`--set dram={...}`): the value came from
    // the option (or the sweep line), whatever marks its nodes carry.
    const SourceLoc* best = nullptr;
    size_t best_len = 0;
    for (const auto& [key, where] : origin.overrides) {
      const bool above = path == key || (path.size() > key.size() && path.compare(0, key.size(), key) == 0 &&
                                         (path[key.size()] == '.' || path[key.size()] == '['));
      if (above && key.size() >= best_len) best = &where, best_len = key.size();
    }
    if (best) return *best;
    // An override below this key (`--set foo.bar=1` creates `foo`) when the node is not in the file.
    for (const auto& [key, where] : origin.overrides)
      if (key.rfind(path + ".", 0) == 0 && !(node && node.Mark().line >= 0)) return where;
  }
  if (node && node.Mark().line >= 0) return {origin.file, node.Mark().line + 1};
  return {origin.file, 0};
}

namespace {

// Walks a loaded tree: map keys must be plain scalars and unique, nesting at most kMaxYamlDepth
// deep, and the tree (aliases counted each time they are reached) at most kMaxNodes nodes.
constexpr size_t kMaxNodes = 4'000'000;

void check_tree(const YAML::Node& n, const SourceLoc& base, bool use_marks, int depth, size_t& count) {
  auto where = [&](const YAML::Node& x) {
    if (use_marks && x.Mark().line >= 0) return SourceLoc{base.file, base.line + x.Mark().line + 1};
    return base;
  };
  if (++count > kMaxNodes)
    throw InputError(base, fmt::format("the YAML document has more than {} nodes (aliases expanding?)", kMaxNodes));
  if (depth > kMaxYamlDepth)
    throw InputError(where(n), fmt::format("YAML nested more than {} levels deep", kMaxYamlDepth));
  if (n.IsMap()) {
    std::vector<std::string> seen;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar())
        throw InputError(where(kv.first), "a key must be a plain name, not a list or a map");
      const std::string& k = kv.first.Scalar();
      if (std::find(seen.begin(), seen.end(), k) != seen.end())
        throw InputError(where(kv.first), fmt::format("duplicate key '{}': each key may appear once in a map", k));
      seen.push_back(k);
      check_tree(kv.second, base, use_marks, depth + 1, count);
    }
  } else if (n.IsSequence()) {
    for (const auto& v : n) check_tree(v, base, use_marks, depth + 1, count);
  }
}

// `base.line` is added to yaml-cpp's 0-based marks: 0 for a file, and for a value written on a
// line of a file (sweep axes) the marks are not used.
YAML::Node parse_checked(const std::string& text, const SourceLoc& base, bool use_marks) {
  YAML::Node root;
  auto loc = [&](const YAML::Mark& m) {
    return use_marks && m.line >= 0 ? SourceLoc{base.file, m.line + 1} : base;
  };
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(loc(e.mark), fmt::format("malformed YAML: {}", e.msg));
  } catch (const std::exception& e) {
    throw InputError(base, fmt::format("malformed YAML: {}", e.what()));
  }
  size_t count = 0;
  try {
    check_tree(root, use_marks ? SourceLoc{base.file, 0} : base, use_marks, 0, count);
  } catch (const YAML::Exception& e) {
    throw InputError(loc(e.mark), fmt::format("malformed YAML: {}", e.msg));
  }
  return root;
}

}  // namespace

YAML::Node load_yaml_file(const std::string& path, const std::string& what) {
  std::string text = read_text_file(path, what);
  return parse_checked(text, {path, 0}, true);
}

YAML::Node parse_yaml_text(const std::string& text, const SourceLoc& where) {
  size_t bad = 0;
  if (!valid_utf8(text, &bad)) throw InputError(where, fmt::format("invalid UTF-8 in '{}' (byte {})", escape_text(text), bad));
  return parse_checked(text, where, false);
}

static std::vector<std::string> split_dotted(const std::string& dotted) {
  std::vector<std::string> parts;
  std::stringstream ss(dotted);
  std::string p;
  while (std::getline(ss, p, '.')) parts.push_back(p);
  return parts;
}

void apply_override(YAML::Node& root, const std::string& dotted, const std::string& value, const SourceLoc& where) {
  auto parts = split_dotted(dotted);
  if (dotted.empty() || dotted.back() == '.' || parts.empty() ||
      std::any_of(parts.begin(), parts.end(), [](auto& s) { return s.empty(); }))
    throw InputError(where, fmt::format("'{}' is not a dotted key path like ocm.size", escape_text(dotted)));
  if (parts.size() > kMaxYamlDepth) throw InputError(where, fmt::format("'{}' is nested too deeply", escape_text(dotted)));
  YAML::Node parsed = parse_yaml_text(value.empty() ? "\"\"" : value, where);
  // yaml-cpp's operator[] on a non-const node creates children; walk with explicit copies so that
  // each level is a reference into the tree.
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (next && !next.IsMap())
      throw InputError(where, fmt::format("'{}' is not a section, so '{}' cannot be set", escape_text(parts[i]),
                                          escape_text(dotted)));
    chain.push_back(next);
  }
  chain.back()[parts.back()] = parsed;
}

std::string closest_key(const std::string& key, const std::vector<std::string>& candidates) {
  std::vector<size_t> prev, cur;
  auto dist = [&](const std::string& a, const std::string& b) {
    prev.assign(b.size() + 1, 0);
    cur.assign(b.size() + 1, 0);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= b.size(); ++j)
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1,
                           prev[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1)});
      std::swap(prev, cur);
    }
    return prev[b.size()];
  };
  std::string best;
  size_t bestd = std::max<size_t>(3, key.size() / 3) + 1;
  for (const auto& c : candidates) {
    // The distance is at least the difference in length: a long unknown key (a fuzzer's, or a
    // pasted line) costs no quadratic work against names it cannot match.
    if ((key.size() > c.size() ? key.size() - c.size() : c.size() - key.size()) >= bestd) continue;
    size_t d = dist(key, c);
    if (d < bestd) bestd = d, best = c;
  }
  return best;
}

Section::Section(const YAML::Node& node, std::string path, const Origin& origin,
                 const std::vector<Param>& params)
    : node_(node), path_(std::move(path)), origin_(origin), params_(params) {
  std::string where = path_.empty() ? "the document" : fmt::format("'{}'", path_);
  if (!node_ || node_.IsNull())
    throw InputError(loc_of(node_, origin_, path_), fmt::format("{} is empty: expected a map with keys", where));
  if (!node_.IsMap())
    throw InputError(loc_of(node_, origin_, path_), fmt::format("{} must be a map of key: value", where));
  std::vector<std::string> keys;
  for (const auto& p : params_) keys.push_back(p.key);
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) throw InputError(loc_of(kv.first, origin_, path_), "a key must be a plain name, not a list or a map");
    std::string k = kv.first.Scalar();
    if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
    std::string hint = closest_key(k, keys);
    std::string full = path_.empty() ? k : path_ + "." + k;
    throw InputError(loc_of(kv.first, origin_, full),
                     hint.empty() ? fmt::format("unknown key '{}': expected one of {}", full, fmt::join(keys, ", "))
                                  : fmt::format("unknown key '{}': did you mean '{}'?", full, hint));
  }
  for (const auto& p : params_)
    if (p.required && !node_[p.key])
      throw InputError(loc_of(node_, origin_, path_),
                       fmt::format("missing required key '{}': {}", path_of(p.key), p.desc));
}

std::string Section::path_of(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

const Param& Section::param(const std::string& key) const {
  for (const auto& p : params_)
    if (p.key == key) return p;
  throw InternalError(fmt::format("parameter '{}' read but not declared in its table", path_of(key)));
}

bool Section::has(const std::string& key) const { return static_cast<bool>(node_[key]); }

SourceLoc Section::loc(const std::string& key) const {
  return loc_of(node_[key] ? node_[key] : node_, origin_, path_of(key));
}
SourceLoc Section::loc() const { return loc_of(node_, origin_, path_); }

void Section::fail_at(const YAML::Node& n, const std::string& rel, const std::string& what) const {
  const std::string full = path_of(rel);
  throw InputError(loc_of(n ? n : node_, origin_, full), fmt::format("'{}': {}", full, what));
}

void Section::fail(const std::string& key, const std::string& what) const {
  throw InputError(loc(key), fmt::format("'{}': {}", path_of(key), what));
}

std::string Section::scalar(const std::string& key) const {
  const Param& p = param(key);
  YAML::Node v = node_[key];
  if (!v) return p.default_value;
  if (!v.IsScalar()) fail(key, fmt::format("expected a single value ({})", p.desc));
  return v.Scalar();
}

void Section::check_bounds(const Param& p, double v) const {
  const bool ranged = p.max > p.min;
  const std::string within = ranged ? fmt::format(" (between {} and {})", p.min, p.max) : "";
  if ((p.positive || (ranged && p.min > 0)) && !(v > 0))
    fail(p.key, fmt::format("must be greater than zero{}, got {}", within, v));
  if (ranged && p.min == 0 && v < 0) fail(p.key, fmt::format("must not be negative{}, got {}", within, v));
  if (ranged && (v < p.min || v > p.max)) fail(p.key, fmt::format("must be between {} and {}, got {}", p.min, p.max, v));
}

int64_t Section::integer(const std::string& key) const {
  std::string s = scalar(key);
  int64_t v = 0;
  if (!parse_integer(s, &v)) fail(key, fmt::format("'{}' is not an integer", s));
  check_bounds(param(key), static_cast<double>(v));
  return v;
}

double Section::real(const std::string& key) const {
  std::string s = scalar(key);
  double v = 0;
  if (!parse_real(s, &v)) fail(key, fmt::format("'{}' is not a number", s));
  check_bounds(param(key), v);
  return v;
}

double Section::quantity(const std::string& key) const {
  const Param& p = param(key);
  double v = 0;
  try {
    v = parse_quantity(scalar(key), p.quantity);
  } catch (const std::invalid_argument& e) {
    fail(key, e.what());
  }
  check_bounds(p, v);
  return v;
}

std::string Section::str(const std::string& key) const { return scalar(key); }

std::string Section::choice(const std::string& key) const {
  const Param& p = param(key);
  std::string s = scalar(key);
  if (std::find(p.choices.begin(), p.choices.end(), s) == p.choices.end())
    fail(key, fmt::format("'{}' is not one of: {}", s, fmt::join(p.choices, ", ")));
  return s;
}

YAML::Node Section::node(const std::string& key) const { return node_[key]; }

std::string describe(const std::string& section, const std::vector<Param>& params) {
  std::string out;
  for (const auto& p : params) {
    std::string kind;
    switch (p.kind) {
      case Kind::Int: kind = "integer"; break;
      case Kind::Real: kind = "number"; break;
      case Kind::String: kind = "string"; break;
      case Kind::Choice: kind = fmt::format("one of {}", fmt::join(p.choices, "|")); break;
      case Kind::Quantity: kind = fmt::format("{} ({})", quantity_name(p.quantity), quantity_units(p.quantity)); break;
      case Kind::Section: kind = "section"; break;
      case Kind::List: kind = "list"; break;
    }
    std::string key = section.empty() ? p.key : section + "." + p.key;
    std::string limits;
    if (p.max > p.min) {
      auto v = [&](double x) { return p.kind == Kind::Quantity ? format_quantity(x, p.quantity) : fmt::format("{:g}", x); };
      limits = p.max >= std::numeric_limits<double>::max() ? fmt::format(" [at least {}]", v(p.min))
                                                           : fmt::format(" [{} to {}]", v(p.min), v(p.max));
    }
    out += fmt::format("  {:<28} {}; {}{}{}\n", key, kind, p.desc, limits,
                       p.required                ? " [required]"
                       : p.default_value.empty() ? " [optional]"
                                                 : fmt::format(" [default: {}]", p.default_value));
  }
  return out;
}

}  // namespace nnasim::config
