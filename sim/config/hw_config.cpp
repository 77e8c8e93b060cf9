#include "sim/config/hw_config.h"

#include <fmt/format.h>

#include <cmath>

#include "sim/energy/memory_model.h"

namespace nnasim::config {
namespace {

Param req(std::string key, Kind k, std::string desc) {
  Param p;
  p.key = std::move(key), p.kind = k, p.desc = std::move(desc), p.required = true;
  return p;
}
Param opt(std::string key, Kind k, std::string def, std::string desc) {
  Param p = req(std::move(key), k, std::move(desc));
  p.required = false, p.default_value = std::move(def);
  return p;
}
Param qty(Param p, Quantity q) {
  p.kind = Kind::Quantity, p.quantity = q;
  return p;
}
Param pos(Param p) {
  p.positive = true;
  return p;
}
Param choice(Param p, std::vector<std::string> c) {
  p.kind = Kind::Choice, p.choices = std::move(c);
  return p;
}
Param range(Param p, double lo, double hi) {
  p.min = lo, p.max = hi;
  return p;
}

const std::vector<std::string> kFormats = {"int", "fp8-e4m3", "fp8-e5m2", "lns"};

const std::vector<Param>& top_params() {
  static const std::vector<Param> t = {
      req("name", Kind::String, "name of this hardware description, used in reports"),
      pos(qty(req("clock", Kind::Quantity, "core clock"), Quantity::Frequency)),
      req("cores", Kind::Section, "the cluster: count"),
      req("mac_array", Kind::Section, "each core's MAC array"),
      req("ocm", Kind::Section, "each core's on-chip memory"),
      req("dma", Kind::Section, "each core's DMA engine"),
      req("vector", Kind::Section, "each core's element-wise unit"),
      opt("lns", Kind::Section, "", "each core's LNS conversion unit (required when mac_array.arithmetic is lns)"),
      req("dram", Kind::Section, "the external memory channel shared by all cores"),
      req("energy", Kind::Section, "energy per action and static power"),
      opt("technology", Kind::Section, "", "the node the config claims and how 45 nm reference figures scale to it"),
      opt("area", Kind::Section, "", "area figures at 45 nm (scaled by technology.area_scale); without it the report has no area"),
  };
  return t;
}
const std::vector<Param>& cores_params() {
  static const std::vector<Param> t = {range(req("count", Kind::Int, "number of cores"), 1, 1024)};
  return t;
}
const std::vector<Param>& mac_params() {
  static const std::vector<Param> t = {
      range(req("rows", Kind::Int, "systolic array rows"), 1, 65536),
      range(req("cols", Kind::Int, "systolic array columns"), 1, 65536),
      choice(req("dataflow", Kind::Choice, "what stays in the array during a fold"),
             {"weight_stationary", "output_stationary"}),
      choice(opt("arithmetic", Kind::Choice, "int", "int: linear multipliers; lns: log-domain multiply, products converted to linear by the LNS unit for accumulation"),
             {"int", "lns"}),
      req("throughput", Kind::List, "MACs per cycle by operand widths: list of {format, weight_bits, act_bits, macs_per_cycle}"),
  };
  return t;
}
const std::vector<Param>& throughput_params() {
  static const std::vector<Param> t = {
      choice(req("format", Kind::Choice, "operand number format"), kFormats),
      range(req("weight_bits", Kind::Int, "widest weight operand"), 1, 32),
      range(req("act_bits", Kind::Int, "widest activation operand"), 1, 32),
      range(req("macs_per_cycle", Kind::Int, "MACs per cycle per core at these widths"), 1, 1e9),
  };
  return t;
}
const std::vector<Param>& ocm_params() {
  static const std::vector<Param> t = {
      pos(qty(req("size", Kind::Quantity, "capacity per core"), Quantity::Bytes)),
      pos(req("bytes_per_cycle", Kind::Real, "OCM <-> MAC array bytes per cycle")),
  };
  return t;
}
const std::vector<Param>& dma_params() {
  static const std::vector<Param> t = {pos(req("bytes_per_cycle", Kind::Real, "most bytes one DMA engine moves per cycle"))};
  return t;
}
const std::vector<Param>& vector_params() {
  static const std::vector<Param> t = {pos(req("elements_per_cycle", Kind::Real, "element-wise operations per cycle"))};
  return t;
}
const std::vector<Param>& lns_params() {
  static const std::vector<Param> t = {
      pos(req("conversions_per_cycle", Kind::Real, "log<->linear conversions per cycle")),
      range(opt("latency_cycles", Kind::Int, "0", "pipeline latency of a conversion"), 0, 1e6),
      range(opt("int_bits", Kind::Int, "4", "exponent integer bits"), 1, 16),
      range(opt("frac_bits", Kind::Int, "3", "exponent fractional bits (exact table: 2^frac_bits entries)"), 0, 16),
      choice(opt("convert", Kind::Choice, "exact", "log->linear conversion: exact table or Mitchell's 2^f ~ 1+f"), {"exact", "mitchell"}),
  };
  return t;
}
const std::vector<Param>& dram_params() {
  static const std::vector<Param> t = {
      pos(qty(req("bandwidth", Kind::Quantity, "peak bandwidth shared by all cores"), Quantity::Bandwidth)),
      qty(req("latency", Kind::Quantity, "fixed latency of each transfer"), Quantity::Time),
      range(opt("efficiency", Kind::Real, "1.0", "fraction of the peak bandwidth transfers achieve"), 1e-6, 1.0),
  };
  return t;
}
const std::vector<Param>& energy_params() {
  static const std::vector<Param> t = {
      req("mac", Kind::List, "energy per MAC: list of {format, weight_bits, act_bits, energy}"),
      qty(opt("lns_add", Kind::Quantity, "0 pJ", "one log-domain multiply (exponent addition)"), Quantity::Energy),
      qty(opt("lns_convert", Kind::Quantity, "0 pJ", "one log<->linear conversion"), Quantity::Energy),
      qty(opt("lns_accumulate", Kind::Quantity, "0 pJ", "one linear accumulation of a converted product"), Quantity::Energy),
      qty(req("vector_op", Kind::Quantity, "one element-wise operation"), Quantity::Energy),
      qty(opt("ocm_read", Kind::Quantity, "", "OCM read energy per byte; default: from the OCM's capacity (Horowitz's 8 KB / 32 KB / 1 MB SRAM reads x technology.energy_scale)"), Quantity::EnergyPerByte),
      qty(opt("ocm_write", Kind::Quantity, "", "OCM write energy per byte; default: as a read of the same capacity"), Quantity::EnergyPerByte),
      qty(opt("ocm_leakage", Kind::Quantity, "", "leakage of one core's OCM; default: 1 nW per SRAM bit (Sci. Rep. 7:12347, Table 2)"), Quantity::Power),
      qty(req("dram_read", Kind::Quantity, "DRAM read energy per byte"), Quantity::EnergyPerByte),
      qty(req("dram_write", Kind::Quantity, "DRAM write energy per byte"), Quantity::EnergyPerByte),
      qty(req("static_power", Kind::Quantity, "static power of the whole chip, besides the OCM leakage"), Quantity::Power),
  };
  return t;
}
const std::vector<Param>& mac_energy_params() {
  static const std::vector<Param> t = {
      choice(req("format", Kind::Choice, "operand number format"), kFormats),
      range(req("weight_bits", Kind::Int, "widest weight operand"), 1, 32),
      range(req("act_bits", Kind::Int, "widest activation operand"), 1, 32),
      qty(req("energy", Kind::Quantity, "energy of one MAC"), Quantity::Energy),
  };
  return t;
}

const std::vector<Param>& technology_params() {
  static const std::vector<Param> t = {
      opt("node", Kind::String, "", "the process node the figures are scaled to, e.g. '16 nm' (reported only)"),
      pos(opt("energy_scale", Kind::Real, "1", "45 nm energies (the OCM capacity model) x this")),
      pos(opt("area_scale", Kind::Real, "1", "45 nm areas x this, e.g. (16/45)^2 = 0.126 for ideal scaling to 16 nm")),
  };
  return t;
}
const std::vector<Param>& area_params() {
  static const std::vector<Param> t = {
      req("mac", Kind::List, "area of one MAC unit at 45 nm: list of {format, weight_bits, act_bits, area}; the array "
                             "is as large as its largest mode (macs_per_cycle x the narrowest entry covering it)"),
      qty(req("vector_lane", Kind::Quantity, "one element per cycle of the vector unit, at 45 nm"), Quantity::Area),
      qty(opt("lns_lane", Kind::Quantity, "0 um2", "one conversion per cycle of the LNS unit, at 45 nm"), Quantity::Area),
      qty(req("dma", Kind::Quantity, "one DMA engine, at 45 nm"), Quantity::Area),
      qty(opt("sram_bit", Kind::Quantity, "1.215 um2",
              "one OCM bit with its periphery, at 45 nm (default: 600 lambda^2, Greaves' CACTI rule of thumb)"),
          Quantity::Area),
      qty(opt("other", Kind::Quantity, "0 um2", "anything else per core (control, interconnect), at 45 nm"), Quantity::Area),
  };
  return t;
}
const std::vector<Param>& mac_area_params() {
  static const std::vector<Param> t = {
      choice(req("format", Kind::Choice, "operand number format"), kFormats),
      range(req("weight_bits", Kind::Int, "widest weight operand"), 1, 32),
      range(req("act_bits", Kind::Int, "widest activation operand"), 1, 32),
      pos(qty(req("area", Kind::Quantity, "one MAC unit at 45 nm"), Quantity::Area)),
  };
  return t;
}

NumFormat format_of(const Section& s, const std::string& key) {
  NumFormat f;
  parse_num_format(s.choice(key), &f);
  return f;
}

template <typename Fn>
void for_each_item(const Section& parent, const std::string& key, Fn fn) {
  YAML::Node list = parent.node(key);
  if (!list.IsSequence() || list.size() == 0) parent.fail(key, "expected a non-empty list");
  for (size_t i = 0; i < list.size(); ++i) fn(list[i], fmt::format("{}.{}[{}]", "", key, i).substr(1));
}

}  // namespace

void apply_overrides(YAML::Node& root, Origin& origin, const std::vector<Override>& overrides) {
  for (const auto& o : overrides) {
    try {
      apply_override(root, o.key, o.value);
    } catch (const std::invalid_argument& e) {
      throw InputError(o.where, e.what());
    }
    origin.overrides[o.key] = o.where;
  }
}

HardwareSpec load_hardware(const std::string& path, const std::vector<Override>& overrides) {
  YAML::Node root = load_yaml_file(path);
  Origin origin{path, {}};
  apply_overrides(root, origin, overrides);
  HardwareSpec hw = parse_hardware(root, origin);
  hw.file = path;
  return hw;
}

HardwareSpec parse_hardware(const YAML::Node& root, const Origin& origin) {
  Section top(root, "", origin, top_params());
  HardwareSpec hw;
  hw.name = top.str("name");
  hw.clock_hz = top.quantity("clock");

  Section cores(top.node("cores"), "cores", origin, cores_params());
  hw.cores = static_cast<int>(cores.integer("count"));

  Section mac(top.node("mac_array"), "mac_array", origin, mac_params());
  hw.mac.rows = static_cast<int>(mac.integer("rows"));
  hw.mac.cols = static_cast<int>(mac.integer("cols"));
  hw.mac.dataflow = mac.choice("dataflow") == "weight_stationary" ? Dataflow::WeightStationary : Dataflow::OutputStationary;
  hw.mac.arithmetic = mac.choice("arithmetic") == "lns" ? NumFormat::Lns : NumFormat::Int;
  for_each_item(mac, "throughput", [&](const YAML::Node& n, const std::string& p) {
    Section e(n, "mac_array." + p, origin, throughput_params());
    ThroughputEntry t{format_of(e, "format"), static_cast<int>(e.integer("weight_bits")),
                      static_cast<int>(e.integer("act_bits")), e.integer("macs_per_cycle")};
    if (t.macs_per_cycle > int64_t(hw.mac.rows) * hw.mac.cols)
      e.fail("macs_per_cycle", fmt::format("{} is more than the array's {} x {} = {} MAC units", t.macs_per_cycle,
                                           hw.mac.rows, hw.mac.cols, int64_t(hw.mac.rows) * hw.mac.cols));
    hw.mac.throughput.push_back(t);
  });

  Section ocm(top.node("ocm"), "ocm", origin, ocm_params());
  hw.ocm.size_bytes = std::floor(ocm.quantity("size"));
  hw.ocm.bytes_per_cycle = ocm.real("bytes_per_cycle");
  Section dma(top.node("dma"), "dma", origin, dma_params());
  hw.dma.bytes_per_cycle = dma.real("bytes_per_cycle");
  Section vec(top.node("vector"), "vector", origin, vector_params());
  hw.vector.elements_per_cycle = vec.real("elements_per_cycle");

  if (top.has("lns")) {
    Section lns(top.node("lns"), "lns", origin, lns_params());
    hw.lns.conversions_per_cycle = lns.real("conversions_per_cycle");
    hw.lns.latency_cycles = static_cast<int>(lns.integer("latency_cycles"));
    hw.lns.int_bits = static_cast<int>(lns.integer("int_bits"));
    hw.lns.frac_bits = static_cast<int>(lns.integer("frac_bits"));
    hw.lns.convert = lns.choice("convert") == "exact" ? LnsConvert::Exact : LnsConvert::Mitchell;
  } else if (hw.mac.arithmetic == NumFormat::Lns) {
    top.fail("mac_array", "arithmetic is lns but there is no 'lns' section describing the conversion unit");
  }

  Section dram(top.node("dram"), "dram", origin, dram_params());
  hw.dram.bandwidth = dram.quantity("bandwidth");
  hw.dram.latency_s = dram.quantity("latency");
  hw.dram.efficiency = dram.real("efficiency");

  Section en(top.node("energy"), "energy", origin, energy_params());
  for_each_item(en, "mac", [&](const YAML::Node& n, const std::string& p) {
    Section e(n, "energy." + p, origin, mac_energy_params());
    hw.energy.mac.push_back({format_of(e, "format"), static_cast<int>(e.integer("weight_bits")),
                             static_cast<int>(e.integer("act_bits")), e.quantity("energy")});
  });
  hw.energy.lns_add_j = en.quantity("lns_add");
  hw.energy.lns_convert_j = en.quantity("lns_convert");
  hw.energy.lns_accumulate_j = en.quantity("lns_accumulate");
  hw.energy.vector_op_j = en.quantity("vector_op");
  if (top.has("technology")) {
    Section tech(top.node("technology"), "technology", origin, technology_params());
    if (tech.has("node")) hw.technology.node = tech.str("node");
    hw.technology.energy_scale = tech.real("energy_scale");
    hw.technology.area_scale = tech.real("area_scale");
  }
  // OCM cost follows capacity unless pinned (sim/energy/memory_model.h).
  const double ocm_model = energy::sram_read_j_per_byte(hw.ocm.size_bytes, hw.technology.energy_scale);
  hw.energy.ocm_read_pinned = en.has("ocm_read");
  hw.energy.ocm_write_pinned = en.has("ocm_write");
  hw.energy.ocm_leakage_pinned = en.has("ocm_leakage");
  hw.energy.ocm_read_j_per_byte = hw.energy.ocm_read_pinned ? en.quantity("ocm_read") : ocm_model;
  hw.energy.ocm_write_j_per_byte = hw.energy.ocm_write_pinned ? en.quantity("ocm_write") : ocm_model;
  hw.energy.ocm_leakage_w = hw.energy.ocm_leakage_pinned ? en.quantity("ocm_leakage") : energy::sram_leakage_w(hw.ocm.size_bytes);
  hw.energy.dram_read_j_per_byte = en.quantity("dram_read");
  hw.energy.dram_write_j_per_byte = en.quantity("dram_write");
  hw.energy.static_power_w = en.quantity("static_power");
  if (top.has("area")) {
    Section ar(top.node("area"), "area", origin, area_params());
    hw.area.present = true;
    for_each_item(ar, "mac", [&](const YAML::Node& n, const std::string& p) {
      Section e(n, "area." + p, origin, mac_area_params());
      hw.area.mac.push_back({format_of(e, "format"), static_cast<int>(e.integer("weight_bits")),
                             static_cast<int>(e.integer("act_bits")), e.quantity("area")});
    });
    hw.area.vector_lane_mm2 = ar.quantity("vector_lane");
    hw.area.lns_lane_mm2 = ar.quantity("lns_lane");
    hw.area.dma_mm2 = ar.quantity("dma");
    hw.area.sram_bit_mm2 = ar.quantity("sram_bit");
    hw.area.other_mm2 = ar.quantity("other");
    for (const auto& t : hw.mac.throughput)
      if (hw.mac_area(t.format, t.weight_bits, t.act_bits) < 0)
        ar.fail("mac", fmt::format("no area entry covers the array's {} {}x{}-bit MACs", to_string(t.format),
                                   t.weight_bits, t.act_bits));
  }
  for (const auto& t : hw.mac.throughput)
    if (t.format != NumFormat::Lns && hw.mac_energy(t.format, t.weight_bits, t.act_bits) < 0)
      en.fail("mac", fmt::format("no energy entry covers the array's {} {}x{}-bit MACs", to_string(t.format),
                                 t.weight_bits, t.act_bits));
  return hw;
}

std::string hardware_help() {
  std::string out = "Hardware description (YAML). Keys, kinds, defaults:\n";
  out += describe("", top_params());
  out += describe("cores", cores_params());
  out += describe("mac_array", mac_params());
  out += describe("mac_array.throughput[]", throughput_params());
  out += describe("ocm", ocm_params());
  out += describe("dma", dma_params());
  out += describe("vector", vector_params());
  out += describe("lns", lns_params());
  out += describe("dram", dram_params());
  out += describe("energy", energy_params());
  out += describe("energy.mac[]", mac_energy_params());
  out += describe("technology", technology_params());
  out += describe("area", area_params());
  out += describe("area.mac[]", mac_area_params());
  return out;
}

}  // namespace nnasim::config
