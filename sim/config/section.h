// Declarative parameter tables and a checked reader over one YAML map.
//
// Every spec declares its keys once (key, kind, unit, description, default or required); the same
// table drives parsing, `nnasim --help-config` and the error for a misspelt key (with a
// "did you mean" suggestion). Nothing outside sim/config sees YAML.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/common/error.h"
#include "sim/config/units.h"

namespace nnasim::config {

enum class Kind { Int, Real, String, Choice, Quantity, Section, List };

struct Param {
  std::string key;
  Kind kind = Kind::Int;
  std::string desc;
  bool required = true;
  std::string default_value;          // as written in YAML; empty when required
  Quantity quantity = Quantity::Bytes;  // for Kind::Quantity
  std::vector<std::string> choices;     // for Kind::Choice
  double min = 0, max = 0;              // for Int/Real/Quantity: bounds checked when max > min
  bool positive = false;                // > 0 required
};

// Where values came from: the YAML file, plus overrides (`--set key=value`, sweep axes) that
// carry their own source location.
struct Origin {
  std::string file;
  std::map<std::string, SourceLoc> overrides;  // dotted path -> where the value was written
};

class Section {
 public:
  // Checks `node` is a map whose keys are all in `params`, and that required keys are present.
  Section(const YAML::Node& node, std::string path, const Origin& origin,
          const std::vector<Param>& params);

  bool has(const std::string& key) const;
  int64_t integer(const std::string& key) const;
  double real(const std::string& key) const;
  double quantity(const std::string& key) const;
  std::string str(const std::string& key) const;
  std::string choice(const std::string& key) const;
  YAML::Node node(const std::string& key) const;
  std::string path_of(const std::string& key) const;

  SourceLoc loc(const std::string& key) const;
  SourceLoc loc() const;
  const Origin& origin() const { return origin_; }
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
  // An error at a node below this section; `rel` is its path relative to the section
  // ("throughput[2].macs_per_cycle").
  [[noreturn]] void fail_at(const YAML::Node& n, const std::string& rel, const std::string& what) const;

 private:
  const Param& param(const std::string& key) const;
  std::string scalar(const std::string& key) const;  // the value as text, or the default
  void check_bounds(const Param& p, double v) const;

  YAML::Node node_;
  std::string path_;
  const Origin& origin_;
  const std::vector<Param>& params_;
};

// Location of a YAML node (1-based line), or of the file as a whole when the node has no mark.
SourceLoc loc_of(const YAML::Node& node, const Origin& origin, const std::string& path = "");

// Loads a YAML file. A missing, unreadable, empty or non-UTF-8 file, a directory, a syntax
// error, a duplicate key, a key that is not a plain scalar or nesting deeper than kMaxYamlDepth
// is an InputError with its line; no yaml-cpp exception escapes.
YAML::Node load_yaml_file(const std::string& path, const std::string& what = "a YAML file");

// Parses YAML text (a --set value, a sweep-axis value) with the same checks; errors are reported
// at `where` (the option or the line that holds the text).
YAML::Node parse_yaml_text(const std::string& text, const SourceLoc& where);

constexpr int kMaxYamlDepth = 64;

// Applies `path=value` overrides ("ocm.size=2 MiB") to a YAML tree. An override must name a key
// that exists in the tree's schema; the schema check happens when the tree is parsed. Errors are
// InputErrors at `where`.
void apply_override(YAML::Node& root, const std::string& dotted, const std::string& value, const SourceLoc& where);

// Text for --help-config: one line per key with kind, unit, default and description.
std::string describe(const std::string& section, const std::vector<Param>& params);

// Closest key by edit distance (for "did you mean"); empty when nothing is close.
std::string closest_key(const std::string& key, const std::vector<std::string>& candidates);

}  // namespace nnasim::config
