#include "sim/config/units.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <utility>

#include "sim/common/parse.h"

namespace nnasim::config {
namespace {

struct Unit {
  const char* name;
  double factor;
};

const std::vector<Unit>& units_of(Quantity q) {
  static const std::vector<Unit> bytes = {{"B", 1},          {"kB", 1e3},  {"KB", 1e3},
                                          {"KiB", 1024.0},   {"MB", 1e6},  {"MiB", 1048576.0},
                                          {"GB", 1e9},       {"GiB", 1073741824.0}, {"bit", 0.125}};
  static const std::vector<Unit> bw = {{"B/s", 1},   {"kB/s", 1e3},          {"MB/s", 1e6},
                                       {"GB/s", 1e9}, {"TB/s", 1e12},        {"KiB/s", 1024.0},
                                       {"MiB/s", 1048576.0}, {"GiB/s", 1073741824.0},
                                       {"Gbit/s", 1.25e8}};
  static const std::vector<Unit> freq = {{"Hz", 1}, {"kHz", 1e3}, {"MHz", 1e6}, {"GHz", 1e9}};
  static const std::vector<Unit> energy = {{"fJ", 1e-15}, {"pJ", 1e-12}, {"nJ", 1e-9},
                                           {"uJ", 1e-6},  {"mJ", 1e-3},  {"J", 1}};
  static const std::vector<Unit> time = {{"ps", 1e-12}, {"ns", 1e-9}, {"us", 1e-6},
                                         {"ms", 1e-3},  {"s", 1}};
  static const std::vector<Unit> epb = {{"fJ/B", 1e-15}, {"pJ/B", 1e-12}, {"nJ/B", 1e-9},
                                        {"fJ/bit", 8e-15}, {"pJ/bit", 8e-12}, {"nJ/bit", 8e-9}};
  static const std::vector<Unit> power = {{"uW", 1e-6}, {"mW", 1e-3}, {"W", 1}};
  static const std::vector<Unit> area = {{"um2", 1e-6}, {"mm2", 1}};  // in mm^2
  switch (q) {
    case Quantity::Bytes: return bytes;
    case Quantity::Bandwidth: return bw;
    case Quantity::Frequency: return freq;
    case Quantity::Energy: return energy;
    case Quantity::Time: return time;
    case Quantity::EnergyPerByte: return epb;
    case Quantity::Power: return power;
    case Quantity::Area: return area;
  }
  return bytes;
}

}  // namespace

const char* quantity_name(Quantity q) {
  switch (q) {
    case Quantity::Bytes: return "a size";
    case Quantity::Bandwidth: return "a bandwidth";
    case Quantity::Frequency: return "a frequency";
    case Quantity::Energy: return "an energy";
    case Quantity::Time: return "a time";
    case Quantity::EnergyPerByte: return "an energy per byte";
    case Quantity::Power: return "a power";
    case Quantity::Area: return "an area";
  }
  return "a quantity";
}

std::string quantity_units(Quantity q) {
  std::string out;
  for (const auto& u : units_of(q)) out += (out.empty() ? "" : ", ") + std::string(u.name);
  return out;
}

double parse_quantity(const std::string& text, Quantity q) {
  const char* s = text.c_str();
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end == s || !std::isfinite(v))
    throw std::invalid_argument(fmt::format("'{}' is not {}: expected a decimal number followed by one of: {}",
                                            text, quantity_name(q), quantity_units(q)));
  std::string unit(end);
  auto trim = [](std::string& t) {
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.erase(t.begin());
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  };
  trim(unit);
  // The number is decimal, as everywhere else (strtod alone also takes 0x10, inf and nan).
  std::string number = text.substr(0, size_t(end - s));
  trim(number);
  double checked = 0;
  if (!parse_real(number, &checked))
    throw std::invalid_argument(fmt::format("'{}' is not {}: expected a decimal number followed by one of: {}", text,
                                            quantity_name(q), quantity_units(q)));
  if (unit.empty())
    throw std::invalid_argument(fmt::format("'{}' has no unit: {} needs one of: {}", text,
                                            quantity_name(q), quantity_units(q)));
  for (const auto& u : units_of(q))
    if (unit == u.name) return v * u.factor;
  throw std::invalid_argument(fmt::format("'{}': unit '{}' is not {}; expected one of: {}", text, unit,
                                          quantity_name(q), quantity_units(q)));
}

std::string format_quantity(double value, Quantity q) {
  const auto& us = units_of(q);
  // Pick the largest unit of the metric (non-binary) family in which the value is >= 1.
  const Unit* best = &us.front();
  for (const auto& u : us) {
    std::string n = u.name;
    if (n.find('i') != std::string::npos || n.find("bit") != std::string::npos) continue;
    if (std::fabs(value) >= u.factor && u.factor >= best->factor) best = &u;
  }
  return fmt::format("{:g} {}", value / best->factor, best->name);
}

}  // namespace nnasim::config
