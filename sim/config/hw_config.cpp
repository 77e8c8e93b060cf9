#include "sim/config/hw_config.h"

#include <fmt/format.h>

#include <cmath>

#include "sim/common/text.h"
#include "sim/config/table.h"
#include "sim/energy/memory_model.h"

namespace nnasim::config {
namespace {

// Documented limits. They keep every product of the simulator finite and the simulated time
// below 2^64 ps (about 213 days): see README "Limits".
constexpr double kMinClock = 1e6, kMaxClock = 1e11;          // 1 MHz .. 100 GHz
constexpr double kMinBandwidth = 1e6, kMaxBandwidth = 1e15;  // 1 MB/s .. 1 PB/s
constexpr double kMinPerCycle = 1e-3, kMaxPerCycle = 1e9;    // bytes or elements per cycle
constexpr double kMaxEnergy = 1.0;                           // J per action
constexpr double kMaxEnergyPerByte = 1e-6;                   // J per byte (DRAM is ~1e-10)
constexpr double kMaxPower = 1e4;                            // W
constexpr double kMaxOcmBytes = 1e12;                        // 1 TB per core

const std::vector<std::pair<std::string, NumFormat>> kFormats = {
    {"int", NumFormat::Int}, {"fp8-e4m3", NumFormat::Fp8E4M3}, {"fp8-e5m2", NumFormat::Fp8E5M2}, {"lns", NumFormat::Lns}};

// A repeated {format, weight_bits, act_bits} in a list of per-width entries (throughput, energy,
// area): the lookup would silently take the first.
template <typename E>
void check_entries(const Section& s, const char* key, const std::vector<E>& v) {
  for (size_t i = 0; i < v.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (v[i].format == v[j].format && v[i].weight_bits == v[j].weight_bits && v[i].act_bits == v[j].act_bits)
        s.fail_at(s.node(key)[i], fmt::format("{}[{}]", key, i),
                  fmt::format("repeats entry {} ({} {}x{}): expected each format and width once", j,
                              to_string(v[i].format), v[i].weight_bits, v[i].act_bits));
}

const Table<ThroughputEntry>& throughput_table() {
  static const Table<ThroughputEntry> t = [] {
    Table<ThroughputEntry> t;
    t.choice("format", &ThroughputEntry::format, kFormats).desc("operand number format");
    t.param("weight_bits", &ThroughputEntry::weight_bits).range(1, 32).desc("widest weight operand");
    t.param("act_bits", &ThroughputEntry::act_bits).range(1, 32).desc("widest activation operand");
    t.param("macs_per_cycle", &ThroughputEntry::macs_per_cycle).range(1, 1e9).desc("MACs per cycle per core at these widths");
    return t;
  }();
  return t;
}

const Table<AccumulatorSpec>& accumulator_table() {
  static const Table<AccumulatorSpec> t = [] {
    Table<AccumulatorSpec> t;
    t.param("size", &AccumulatorSpec::size_bytes).quantity(Quantity::Bytes).range(1, kMaxOcmBytes)
        .desc("capacity of the accumulator memory beside each MAC array (partial sums between row folds)");
    t.param("entry_bits", &AccumulatorSpec::entry_bits).range(1, 64).default_val("32").desc("bits of one partial sum");
    t.param("entries_per_cycle", &AccumulatorSpec::entries_per_cycle).range(kMinPerCycle, kMaxPerCycle)
        .desc("partial sums read per cycle, and written per cycle");
    return t;
  }();
  return t;
}

const Table<MacArraySpec>& mac_table() {
  static const Table<MacArraySpec> t = [] {
    Table<MacArraySpec> t;
    t.param("rows", &MacArraySpec::rows).range(1, 65536).desc("systolic array rows");
    t.param("cols", &MacArraySpec::cols).range(1, 65536).desc("systolic array columns");
    t.choice("dataflow", &MacArraySpec::dataflow,
             {{"weight_stationary", Dataflow::WeightStationary}, {"output_stationary", Dataflow::OutputStationary}})
        .desc("what stays in the array during a fold");
    t.choice("arithmetic", &MacArraySpec::arithmetic, {{"int", NumFormat::Int}, {"lns", NumFormat::Lns}})
        .default_val("int")
        .desc("int: linear multipliers; lns: log-domain multiply, products converted to linear by the LNS unit for accumulation");
    t.list("throughput", &MacArraySpec::throughput, throughput_table())
        .desc("MACs per cycle by operand widths: list of {format, weight_bits, act_bits, macs_per_cycle}");
    t.choice("weight_preload", &MacArraySpec::weight_preload,
             {{"serial", WeightPreload::Serial}, {"overlapped", WeightPreload::Overlapped}})
        .default_val("serial")
        .desc("weight stationary: serial, each fold loads its weights then streams (SCALE-Sim); overlapped, the next "
              "fold's weights load while the current one streams (double-buffered weight registers, TPU v1)");
    t.choice("os_drain", &MacArraySpec::os_drain, {{"paper", OsDrain::Paper}, {"scalesim", OsDrain::ScaleSim}})
        .default_val("paper")
        .desc("output stationary fold: paper, 2r + c + T - 2 over the array part used (SCALE-Sim paper); scalesim, "
              "T + R + C - 2 padded to the full array (SCALE-Sim v2's code)");
    t.choice("grouped", &MacArraySpec::grouped,
             {{"block_diagonal", GroupMapping::BlockDiagonal}, {"group_per_column", GroupMapping::GroupPerColumn}})
        .default_val("block_diagonal")
        .desc("grouped/depthwise convolutions: block_diagonal, one input row broadcast to all columns (groups packed "
              "on the diagonal); group_per_column, each column fed its own input (groups side by side)");
    t.section("accumulator", &MacArraySpec::accumulator, accumulator_table()).optional()
        .desc("accumulator memory for partial sums (absent: unbounded and never limiting)");
    t.check([](const Section& s, const MacArraySpec& m) {
      if (s.has("accumulator") && m.accumulator.size_bytes < double(m.accumulator.entry_bytes()))
        s.fail_at(s.node("accumulator")["size"], "accumulator.size",
                  fmt::format("{} B holds no {}-bit partial sum: expected at least one entry", m.accumulator.size_bytes,
                              m.accumulator.entry_bits));
      check_entries(s, "throughput", m.throughput);
      for (size_t i = 0; i < m.throughput.size(); ++i) {
        const auto& e = m.throughput[i];
        if ((e.format == NumFormat::Fp8E4M3 || e.format == NumFormat::Fp8E5M2) && (e.weight_bits != 8 || e.act_bits != 8))
          s.fail_at(s.node("throughput")[i], fmt::format("throughput[{}]", i),
                    fmt::format("{} operands are 8 bits, not {}x{}", to_string(e.format), e.weight_bits, e.act_bits));
      }
      const int64_t units = int64_t(m.rows) * m.cols;
      for (size_t i = 0; i < m.throughput.size(); ++i)
        if (m.throughput[i].macs_per_cycle > units)
          s.fail_at(s.node("throughput")[i]["macs_per_cycle"], fmt::format("throughput[{}].macs_per_cycle", i),
                    fmt::format("{} is more than the array's {} x {} = {} MAC units", m.throughput[i].macs_per_cycle,
                                m.rows, m.cols, units));
    });
    return t;
  }();
  return t;
}

// `cores: {count: N}` is a section in YAML and one int in HardwareSpec.
struct Cores {
  int count = 1;
};
const Table<Cores>& cores_table() {
  static const Table<Cores> t = [] {
    Table<Cores> t;
    t.param("count", &Cores::count).range(1, 1024).desc("number of cores");
    return t;
  }();
  return t;
}

const Table<OcmSpec>& ocm_table() {
  static const Table<OcmSpec> t = [] {
    Table<OcmSpec> t;
    t.param("size", &OcmSpec::size_bytes).quantity(Quantity::Bytes).range(1, kMaxOcmBytes).desc("capacity per core");
    t.param("bytes_per_cycle", &OcmSpec::bytes_per_cycle).range(kMinPerCycle, kMaxPerCycle).desc("OCM <-> MAC array bytes per cycle");
    return t;
  }();
  return t;
}
const Table<DmaSpec>& dma_table() {
  static const Table<DmaSpec> t = [] {
    Table<DmaSpec> t;
    t.param("bytes_per_cycle", &DmaSpec::bytes_per_cycle).range(kMinPerCycle, kMaxPerCycle).desc("most bytes one DMA engine moves per cycle");
    t.param("outstanding", &DmaSpec::outstanding).range(1, 1024).default_val("1")
        .desc("transfers one DMA engine keeps in flight: the next one's DRAM latency overlaps the data of those moving");
    return t;
  }();
  return t;
}
const Table<VectorSpec>& vector_table() {
  static const Table<VectorSpec> t = [] {
    Table<VectorSpec> t;
    t.param("elements_per_cycle", &VectorSpec::elements_per_cycle).range(kMinPerCycle, kMaxPerCycle).desc("element-wise operations per cycle");
    return t;
  }();
  return t;
}
const Table<LnsSpec>& lns_table() {
  static const Table<LnsSpec> t = [] {
    Table<LnsSpec> t;
    t.param("conversions_per_cycle", &LnsSpec::conversions_per_cycle).range(kMinPerCycle, kMaxPerCycle).desc("log<->linear conversions per cycle");
    t.param("latency_cycles", &LnsSpec::latency_cycles).range(0, 1e6).default_val("0").desc("pipeline latency of a conversion");
    t.param("int_bits", &LnsSpec::int_bits).range(1, 16).default_val("4").desc("exponent integer bits");
    t.param("frac_bits", &LnsSpec::frac_bits).range(0, 16).default_val("3").desc("exponent fractional bits (exact table: 2^frac_bits entries)");
    t.choice("convert", &LnsSpec::convert, {{"exact", LnsConvert::Exact}, {"mitchell", LnsConvert::Mitchell}})
        .default_val("exact")
        .desc("log->linear conversion: exact table or Mitchell's 2^f ~ 1+f");
    return t;
  }();
  return t;
}
const Table<DramSpec>& dram_table() {
  static const Table<DramSpec> t = [] {
    Table<DramSpec> t;
    t.param("bandwidth", &DramSpec::bandwidth).quantity(Quantity::Bandwidth).range(kMinBandwidth, kMaxBandwidth)
        .desc("peak bandwidth shared by all cores");
    t.param("latency", &DramSpec::latency_s).quantity(Quantity::Time).range(0, 1).desc("fixed latency of each transfer");
    t.param("efficiency", &DramSpec::efficiency).range(1e-6, 1.0).default_val("1.0").desc("fraction of the peak bandwidth transfers achieve");
    return t;
  }();
  return t;
}
const Table<MacEnergyEntry>& mac_energy_table() {
  static const Table<MacEnergyEntry> t = [] {
    Table<MacEnergyEntry> t;
    t.choice("format", &MacEnergyEntry::format, kFormats).desc("operand number format");
    t.param("weight_bits", &MacEnergyEntry::weight_bits).range(1, 32).desc("widest weight operand");
    t.param("act_bits", &MacEnergyEntry::act_bits).range(1, 32).desc("widest activation operand");
    t.param("energy", &MacEnergyEntry::joules).quantity(Quantity::Energy).range(0, kMaxEnergy).desc("energy of one MAC");
    return t;
  }();
  return t;
}
const Table<EnergySpec>& energy_table() {
  static const Table<EnergySpec> t = [] {
    Table<EnergySpec> t;
    auto energy = [&](const char* key, double EnergySpec::*m, Quantity q) -> auto& {
      return t.param(key, m).quantity(q).range(0, q == Quantity::Power           ? kMaxPower
                                                  : q == Quantity::EnergyPerByte ? kMaxEnergyPerByte
                                                                                 : kMaxEnergy);
    };
    t.list("mac", &EnergySpec::mac, mac_energy_table()).desc("energy per MAC: list of {format, weight_bits, act_bits, energy}");
    t.check([](const Section& s, const EnergySpec& e) { check_entries(s, "mac", e.mac); });
    energy("lns_add", &EnergySpec::lns_add_j, Quantity::Energy).default_val("0 pJ").desc("one log-domain multiply (exponent addition)");
    energy("lns_convert", &EnergySpec::lns_convert_j, Quantity::Energy).default_val("0 pJ").desc("one log<->linear conversion");
    energy("lns_accumulate", &EnergySpec::lns_accumulate_j, Quantity::Energy).default_val("0 pJ")
        .desc("one linear accumulation of a converted product");
    energy("vector_op", &EnergySpec::vector_op_j, Quantity::Energy).desc("one element-wise operation");
    energy("accumulator_read", &EnergySpec::accumulator_read_j, Quantity::Energy).default_val("0 pJ")
        .desc("reading one partial sum from the accumulator memory");
    energy("accumulator_write", &EnergySpec::accumulator_write_j, Quantity::Energy).default_val("0 pJ")
        .desc("writing one partial sum to the accumulator memory");
    energy("ocm_read", &EnergySpec::ocm_read_j_per_byte, Quantity::EnergyPerByte).optional()
        .desc("OCM read energy per byte; absent: from the OCM's capacity (Horowitz's 8 KB / 32 KB / 1 MB SRAM reads x "
              "technology.energy_scale, sim/energy/memory_model.h)");
    energy("ocm_write", &EnergySpec::ocm_write_j_per_byte, Quantity::EnergyPerByte).optional()
        .desc("OCM write energy per byte; absent: as a read of the same capacity");
    energy("ocm_leakage", &EnergySpec::ocm_leakage_w, Quantity::Power).optional()
        .desc("leakage of one core's OCM; absent: 1 nW per SRAM bit (Sci. Rep. 7:12347, Table 2)");
    energy("dram_read", &EnergySpec::dram_read_j_per_byte, Quantity::EnergyPerByte).desc("DRAM read energy per byte");
    energy("dram_write", &EnergySpec::dram_write_j_per_byte, Quantity::EnergyPerByte).desc("DRAM write energy per byte");
    energy("static_power", &EnergySpec::static_power_w, Quantity::Power).desc("static power of the whole chip, besides the OCM leakage");
    return t;
  }();
  return t;
}

const Table<TechnologySpec>& technology_table() {
  static const Table<TechnologySpec> t = [] {
    Table<TechnologySpec> t;
    t.param("node", &TechnologySpec::node).optional().desc("the process node the figures are scaled to, e.g. '16 nm' (reported only)");
    t.param("energy_scale", &TechnologySpec::energy_scale).range(1e-6, 1e3).default_val("1")
        .desc("45 nm energies (the OCM capacity model) x this");
    t.param("area_scale", &TechnologySpec::area_scale).range(1e-6, 1e3).default_val("1")
        .desc("45 nm areas x this, e.g. (16/45)^2 = 0.126 for ideal scaling to 16 nm");
    return t;
  }();
  return t;
}
const Table<MacAreaEntry>& mac_area_table() {
  static const Table<MacAreaEntry> t = [] {
    Table<MacAreaEntry> t;
    t.choice("format", &MacAreaEntry::format, kFormats).desc("operand number format");
    t.param("weight_bits", &MacAreaEntry::weight_bits).range(1, 32).desc("widest weight operand");
    t.param("act_bits", &MacAreaEntry::act_bits).range(1, 32).desc("widest activation operand");
    t.param("area", &MacAreaEntry::mm2).quantity(Quantity::Area).range(1e-12, 1e4).desc("one MAC unit at 45 nm");
    return t;
  }();
  return t;
}
const Table<AreaSpec>& area_table() {
  static const Table<AreaSpec> t = [] {
    Table<AreaSpec> t;
    auto area = [&](const char* key, double AreaSpec::*m) -> auto& { return t.param(key, m).quantity(Quantity::Area).range(0, 1e4); };
    t.list("mac", &AreaSpec::mac, mac_area_table())
        .desc("area of one MAC unit at 45 nm: list of {format, weight_bits, act_bits, area}; the array is as large as its "
              "largest mode (macs_per_cycle x the narrowest entry covering it)");
    t.check([](const Section& s, const AreaSpec& a) { check_entries(s, "mac", a.mac); });
    area("vector_lane", &AreaSpec::vector_lane_mm2).desc("one element per cycle of the vector unit, at 45 nm");
    area("lns_lane", &AreaSpec::lns_lane_mm2).default_val("0 um2").desc("one conversion per cycle of the LNS unit, at 45 nm");
    area("dma", &AreaSpec::dma_mm2).desc("one DMA engine, at 45 nm");
    area("sram_bit", &AreaSpec::sram_bit_mm2).default_val("1.215 um2")
        .desc("one OCM bit with its periphery, at 45 nm (default: 600 lambda^2, Greaves' CACTI rule of thumb)");
    area("other", &AreaSpec::other_mm2).default_val("0 um2").desc("anything else per core (control, interconnect), at 45 nm");
    return t;
  }();
  return t;
}

const Table<HardwareSpec>& hardware_table() {
  static const Table<HardwareSpec> t = [] {
    Table<HardwareSpec> t;
    t.param("name", &HardwareSpec::name).desc("name of this hardware description, used in reports");
    t.param("clock", &HardwareSpec::clock_hz).quantity(Quantity::Frequency).range(kMinClock, kMaxClock).desc("core clock");
    t.section<Cores>("cores", cores_table(), [](HardwareSpec& hw, const Cores& c) { hw.cores = c.count; })
        .desc("the cluster: count");
    t.section("mac_array", &HardwareSpec::mac, mac_table()).desc("each core's MAC array");
    t.section("ocm", &HardwareSpec::ocm, ocm_table()).desc("each core's on-chip memory");
    t.section("dma", &HardwareSpec::dma, dma_table()).desc("each core's DMA engine");
    t.section("vector", &HardwareSpec::vector, vector_table()).desc("each core's element-wise unit");
    t.section("lns", &HardwareSpec::lns, lns_table()).optional()
        .desc("each core's LNS conversion unit (required when mac_array.arithmetic is lns)");
    t.section("dram", &HardwareSpec::dram, dram_table()).desc("the external memory channel shared by all cores");
    t.section("energy", &HardwareSpec::energy, energy_table()).desc("energy per action and static power");
    t.section("technology", &HardwareSpec::technology, technology_table()).optional()
        .desc("the node the config claims and how 45 nm reference figures scale to it");
    t.section("area", &HardwareSpec::area, area_table()).optional()
        .desc("area figures at 45 nm (scaled by technology.area_scale); without it the report has no area");
    t.check([](const Section& top, const HardwareSpec& hw) {
      if (std::string bad = check_name(hw.name); !bad.empty()) top.fail("name", bad);
      if (top.has("area"))
        for (const auto& e : hw.mac.throughput)
          if (hw.mac_area(e.format, e.weight_bits, e.act_bits) < 0)
            top.fail_at(top.node("area")["mac"], "area.mac",
                        fmt::format("no area entry covers the array's {} {}x{}-bit MACs", to_string(e.format),
                                    e.weight_bits, e.act_bits));
      if (hw.mac.arithmetic == NumFormat::Lns && !top.has("lns"))
        top.fail("mac_array", "arithmetic is lns but there is no 'lns' section describing the conversion unit");
      for (const auto& e : hw.mac.throughput)
        if (e.format != NumFormat::Lns && hw.mac_energy(e.format, e.weight_bits, e.act_bits) < 0)
          top.fail_at(top.node("energy")["mac"], "energy.mac",
                      fmt::format("no energy entry covers the array's {} {}x{}-bit MACs", to_string(e.format),
                                  e.weight_bits, e.act_bits));
    });
    return t;
  }();
  return t;
}

}  // namespace

void apply_overrides(YAML::Node& root, Origin& origin, const std::vector<Override>& overrides) {
  for (const auto& o : overrides) {
    apply_override(root, o.key, o.value, o.where);
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
  HardwareSpec hw;
  hardware_table().read(root, "", origin, hw);
  hw.ocm.size_bytes = std::floor(hw.ocm.size_bytes);
  // OCM cost follows capacity unless the config pins it (sim/energy/memory_model.h).
  const YAML::Node en = root["energy"];
  auto given = [&](const char* key) { return en && en.IsMap() && en[key]; };
  const double model = energy::sram_read_j_per_byte(hw.ocm.size_bytes, hw.technology.energy_scale);
  hw.energy.ocm_read_pinned = given("ocm_read");
  hw.energy.ocm_write_pinned = given("ocm_write");
  hw.energy.ocm_leakage_pinned = given("ocm_leakage");
  if (!hw.energy.ocm_read_pinned) hw.energy.ocm_read_j_per_byte = model;
  if (!hw.energy.ocm_write_pinned) hw.energy.ocm_write_j_per_byte = model;
  if (!hw.energy.ocm_leakage_pinned) hw.energy.ocm_leakage_w = energy::sram_leakage_w(hw.ocm.size_bytes);
  hw.area.present = root["area"] && root["area"].IsMap();
  return hw;
}

std::string hardware_help() {
  return "Hardware description (YAML). Keys, kinds, defaults:\n" + hardware_table().describe("");
}

}  // namespace nnasim::config
