#include "sim/config/hw_config.h"

#include <fmt/format.h>

#include <cmath>

#include "sim/common/text.h"
#include "sim/config/table.h"

namespace nnasim::config {
namespace {

// Documented limits. They keep every product of the simulator finite and the simulated time
// below 2^64 ps (about 213 days): see README "Limits".
constexpr double kMinClock = 1e6, kMaxClock = 1e11;          // 1 MHz .. 100 GHz
constexpr double kMinBandwidth = 1e6, kMaxBandwidth = 1e15;  // 1 MB/s .. 1 PB/s
constexpr double kMinPerCycle = 1e-3, kMaxPerCycle = 1e9;    // bytes or elements per cycle
constexpr double kMaxEnergy = 1.0;                           // J per action or per byte
constexpr double kMaxPower = 1e4;                            // W
constexpr double kMaxOcmBytes = 1099511627776.0;             // 1 TiB per core

const std::vector<std::pair<std::string, NumFormat>> kFormats = {
    {"int", NumFormat::Int}, {"fp8-e4m3", NumFormat::Fp8E4M3}, {"fp8-e5m2", NumFormat::Fp8E5M2}, {"lns", NumFormat::Lns}};

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
    t.check([](const Section& s, const MacArraySpec& m) {
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
      return t.param(key, m).quantity(q).range(0, q == Quantity::Power ? kMaxPower : kMaxEnergy);
    };
    t.list("mac", &EnergySpec::mac, mac_energy_table()).desc("energy per MAC: list of {format, weight_bits, act_bits, energy}");
    energy("lns_add", &EnergySpec::lns_add_j, Quantity::Energy).default_val("0 pJ").desc("one log-domain multiply (exponent addition)");
    energy("lns_convert", &EnergySpec::lns_convert_j, Quantity::Energy).default_val("0 pJ").desc("one log<->linear conversion");
    energy("lns_accumulate", &EnergySpec::lns_accumulate_j, Quantity::Energy).default_val("0 pJ")
        .desc("one linear accumulation of a converted product");
    energy("vector_op", &EnergySpec::vector_op_j, Quantity::Energy).desc("one element-wise operation");
    energy("ocm_read", &EnergySpec::ocm_read_j_per_byte, Quantity::EnergyPerByte).desc("OCM read energy per byte");
    energy("ocm_write", &EnergySpec::ocm_write_j_per_byte, Quantity::EnergyPerByte).desc("OCM write energy per byte");
    energy("dram_read", &EnergySpec::dram_read_j_per_byte, Quantity::EnergyPerByte).desc("DRAM read energy per byte");
    energy("dram_write", &EnergySpec::dram_write_j_per_byte, Quantity::EnergyPerByte).desc("DRAM write energy per byte");
    energy("static_power", &EnergySpec::static_power_w, Quantity::Power).desc("static power of the whole chip");
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
    t.check([](const Section& top, const HardwareSpec& hw) {
      if (std::string bad = check_name(hw.name); !bad.empty()) top.fail("name", bad);
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
  return hw;
}

std::string hardware_help() {
  return "Hardware description (YAML). Keys, kinds, defaults:\n" + hardware_table().describe("");
}

}  // namespace nnasim::config
