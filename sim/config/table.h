// A parameter table whose rows bind YAML keys to struct members: each key is declared once, with
// its kind, description, default and limits, and the same row parses it, documents it
// (`--help-config`) and reports a misspelt key. The table, the struct and the parser cannot
// drift apart because there is nothing else to keep in step.
//
//   Table<OcmSpec> t;
//   t.param("size", &OcmSpec::size_bytes).quantity(Quantity::Bytes).positive().desc("capacity per core");
//   t.param("bytes_per_cycle", &OcmSpec::bytes_per_cycle).positive().desc("OCM <-> MAC array bytes per cycle");
//   t.param("banks", &OcmSpec::banks).range(1, 64).default_val("1").desc("...");  // optional with default
//   t.choice("dataflow", &MacArraySpec::dataflow, {{"weight_stationary", Dataflow::WeightStationary}, ...});
//   t.section("ocm", &HardwareSpec::ocm, ocm_table()).desc("each core's on-chip memory");
//   t.list("throughput", &MacArraySpec::throughput, throughput_table()).desc("...");
//   t.check([](const Section& s, const OcmSpec& o) { ... s.fail("size", "...") ... });  // cross-key rules
//
// Member kinds: int and int64_t (integers only, bounds-checked, int members must fit an int),
// double (a plain number, or a physical quantity with its unit after .quantity(Q)), std::string,
// enums through choice(), sub-structs through section() and lists of structs through list().
// A row is required unless it has .default_val("as written in YAML") or .optional() (absent: the
// struct's own initialiser stays). Doubles are always finite; .positive(), .non_negative() and
// .range(lo, hi) add limits, all checked on the parsed value with the key's file:line.
#pragma once
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sim/config/section.h"

namespace nnasim::config {

template <class S>
class Table {
 public:
  using Reader = std::function<void(const Section&, const Param&, S&)>;

  class Row {
   public:
    Row& desc(std::string d) { p_.desc = std::move(d); return *this; }
    // The value used when the key is absent, written as in YAML ("4", "0 pJ", "exact"); it goes
    // through the same parser and checks as a written value.
    Row& default_val(std::string yaml_text) {
      p_.required = false, p_.default_value = std::move(yaml_text);
      return *this;
    }
    // Absent key: the member keeps the struct's initialiser (no documented default).
    Row& optional() { p_.required = false, p_.default_value.clear(), skip_absent_ = true; return *this; }
    Row& range(double lo, double hi) { p_.min = lo, p_.max = hi; return *this; }
    Row& positive() { p_.positive = true; return *this; }
    Row& non_negative() { p_.min = 0, p_.max = std::numeric_limits<double>::max(); return *this; }
    Row& quantity(Quantity q) { p_.kind = Kind::Quantity, p_.quantity = q; return *this; }

   private:
    friend class Table;
    Param p_;
    Reader read_;
    bool skip_absent_ = false;
    std::function<std::string(const std::string&)> describe_sub_;  // sections and lists
  };

  // Scalars: int, int64_t, double, std::string members.
  template <class T>
  Row& param(std::string key, T S::*member) {
    Row& r = add(std::move(key));
    if constexpr (std::is_same_v<T, int> || std::is_same_v<T, int64_t>) {
      r.p_.kind = Kind::Int;
      r.read_ = [member](const Section& s, const Param& p, S& out) {
        int64_t v = s.integer(p.key);
        if constexpr (std::is_same_v<T, int>) {
          if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
            s.fail(p.key, fmt::format("{} is out of range: expected at most {}", v, std::numeric_limits<int>::max()));
        }
        out.*member = static_cast<T>(v);
      };
    } else if constexpr (std::is_same_v<T, double>) {
      r.p_.kind = Kind::Real;
      r.read_ = [member](const Section& s, const Param& p, S& out) {
        out.*member = p.kind == Kind::Quantity ? s.quantity(p.key) : s.real(p.key);
      };
    } else if constexpr (std::is_same_v<T, std::string>) {
      r.p_.kind = Kind::String;
      r.read_ = [member](const Section& s, const Param& p, S& out) { out.*member = s.str(p.key); };
    } else {
      static_assert(sizeof(T) == 0, "Table::param: use choice() for enums, section()/list() for structs");
    }
    return r;
  }

  // An enum (or any value) chosen by name.
  template <class E>
  Row& choice(std::string key, E S::*member, std::vector<std::pair<std::string, E>> options) {
    Row& r = add(std::move(key));
    r.p_.kind = Kind::Choice;
    for (const auto& o : options) r.p_.choices.push_back(o.first);
    r.read_ = [member, options](const Section& s, const Param& p, S& out) {
      std::string name = s.choice(p.key);
      for (const auto& o : options)
        if (o.first == name) out.*member = o.second;
    };
    return r;
  }

  // A nested map read by another table.
  template <class T>
  Row& section(std::string key, T S::*member, const Table<T>& sub) {
    Row& r = add(std::move(key));
    r.p_.kind = Kind::Section;
    const Table<T>* t = &sub;
    r.read_ = [member, t](const Section& s, const Param& p, S& out) {
      t->read(s.node(p.key), s.path_of(p.key), s.origin(), out.*member);
    };
    r.describe_sub_ = [t](const std::string& prefix) { return t->describe(prefix); };
    return r;
  }

  // A nested map read into a value of another type, then stored by `store` (e.g. `cores: {count}`
  // held as one int).
  template <class T>
  Row& section(std::string key, const Table<T>& sub, std::function<void(S&, const T&)> store) {
    Row& r = add(std::move(key));
    r.p_.kind = Kind::Section;
    const Table<T>* t = &sub;
    r.read_ = [store, t](const Section& s, const Param& p, S& out) {
      T v{};
      t->read(s.node(p.key), s.path_of(p.key), s.origin(), v);
      store(out, v);
    };
    r.describe_sub_ = [t](const std::string& prefix) { return t->describe(prefix); };
    return r;
  }

  // A non-empty list of maps, each read by another table.
  template <class T>
  Row& list(std::string key, std::vector<T> S::*member, const Table<T>& item) {
    Row& r = add(std::move(key));
    r.p_.kind = Kind::List;
    const Table<T>* t = &item;
    r.read_ = [member, t](const Section& s, const Param& p, S& out) {
      YAML::Node l = s.node(p.key);
      if (!l.IsSequence() || l.size() == 0) s.fail(p.key, "expected a non-empty list");
      (out.*member).clear();
      for (size_t i = 0; i < l.size(); ++i) {
        T v{};
        t->read(l[i], fmt::format("{}[{}]", s.path_of(p.key), i), s.origin(), v);
        (out.*member).push_back(std::move(v));
      }
    };
    r.describe_sub_ = [t](const std::string& prefix) { return t->describe(prefix + "[]"); };
    return r;
  }

  // A rule over several keys, run after every row has been read.
  void check(std::function<void(const Section&, const S&)> fn) { checks_.push_back(std::move(fn)); }

  // Reads `node` (the map at dotted `path`) into `out`.
  void read(const YAML::Node& node, const std::string& path, const Origin& origin, S& out) const {
    std::vector<Param> ps = params();
    Section s(node, path, origin, ps);
    for (const auto& r : rows_) {
      if (!s.has(r.p_.key) && (r.skip_absent_ || (r.p_.required == false && r.p_.default_value.empty()))) continue;
      r.read_(s, r.p_, out);
    }
    for (const auto& c : checks_) c(s, out);
  }

  std::vector<Param> params() const {
    std::vector<Param> ps;
    for (const auto& r : rows_) ps.push_back(r.p_);
    return ps;
  }

  // --help-config text: this table's rows, then each section's and list's rows below it.
  std::string describe(const std::string& prefix) const {
    std::string out = config::describe(prefix, params());
    for (const auto& r : rows_)
      if (r.describe_sub_) out += r.describe_sub_(prefix.empty() ? r.p_.key : prefix + "." + r.p_.key);
    return out;
  }

 private:
  Row& add(std::string key) {
    for (const auto& r : rows_)
      if (r.p_.key == key) throw InternalError("parameter '" + key + "' declared twice");
    rows_.emplace_back();
    rows_.back().p_.key = std::move(key);
    rows_.back().p_.required = true;
    return rows_.back();
  }

  std::deque<Row> rows_;  // a deque: rows returned by reference stay valid as rows are added
  std::vector<std::function<void(const Section&, const S&)>> checks_;
};

}  // namespace nnasim::config
