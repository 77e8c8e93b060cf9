// Plain structs describing the hardware. Parsed once from YAML by load_hardware(); everything
// downstream (scheduler, SystemC modules, energy model) takes these by const reference, so tests
// build them from struct literals.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nnasim {

// Number formats a layer can use, and that MAC arrays and energy tables are keyed by.
enum class NumFormat { Int, Fp8E4M3, Fp8E5M2, Lns };
const char* to_string(NumFormat f);
bool parse_num_format(const std::string& s, NumFormat* out);  // "int", "fp8-e4m3", "fp8-e5m2", "lns"

enum class Dataflow { WeightStationary, OutputStationary };
const char* to_string(Dataflow d);

// How a weight-stationary array loads the next fold's weights (sim/hw/systolic.h): Serial, each
// fold fills its weights and then streams (SCALE-Sim's model); Overlapped, the next fold's weights
// shift in while the current fold streams (double-buffered weight registers, as TPU v1).
enum class WeightPreload { Serial, Overlapped };
// The output-stationary fold's cycle count: Paper, 2r + c + T - 2 over the part of the array a
// fold uses (Samajdar et al., ISPASS 2020); ScaleSim, T + R + C - 2 with every fold padded to the
// full array, as SCALE-Sim v2's code counts.
enum class OsDrain { Paper, ScaleSim };
// How grouped and depthwise convolutions map: BlockDiagonal, the array broadcasts one input row
// to all columns, so a weight-stationary fold packs groups on the diagonal (min(R/K, C/N) at once)
// and an output-stationary one runs group by group; GroupPerColumn, each column is fed its own
// input, so groups sit side by side over the columns (as one GEMM of N x groups filters).
enum class GroupMapping { BlockDiagonal, GroupPerColumn };
const char* to_string(WeightPreload p);
const char* to_string(OsDrain d);
const char* to_string(GroupMapping g);

// The accumulator memory beside a MAC array: partial sums of a tile's folds live here between
// row folds (sim/hw/accumulator.h). Zero size or rate means unbounded.
struct AccumulatorSpec {
  double size_bytes = 0;         // capacity; 0: never spills
  int entry_bits = 32;           // one partial sum
  double entries_per_cycle = 0;  // reads (and, separately, writes) per cycle; 0: never limits
  int64_t entry_bytes() const { return (entry_bits + 7) / 8; }
};

// MACs per cycle for operands up to the given widths in a format (Series4: 4096 at 8-bit,
// 2048 at 8x16, 1024 at 16-bit). The narrowest entry that covers a layer applies.
struct ThroughputEntry {
  NumFormat format = NumFormat::Int;
  int weight_bits = 8;
  int act_bits = 8;
  int64_t macs_per_cycle = 0;
};

struct MacArraySpec {
  int rows = 0;
  int cols = 0;
  Dataflow dataflow = Dataflow::WeightStationary;
  NumFormat arithmetic = NumFormat::Int;  // Lns: log-domain multiply, products converted by the LNS unit
  std::vector<ThroughputEntry> throughput;
  WeightPreload weight_preload = WeightPreload::Serial;
  OsDrain os_drain = OsDrain::Paper;
  GroupMapping grouped = GroupMapping::BlockDiagonal;
  AccumulatorSpec accumulator;
};

struct OcmSpec {
  double size_bytes = 0;       // per core
  double bytes_per_cycle = 0;  // OCM <-> MAC array bandwidth per core
};

struct DmaSpec {
  double bytes_per_cycle = 0;  // the most one core's DMA engine moves per cycle
  int outstanding = 1;         // transfers in flight per engine (their latencies overlap)
};

struct VectorSpec {
  double elements_per_cycle = 0;  // element-wise, pooling and concat throughput per core
};

enum class LnsConvert { Exact, Mitchell };
struct LnsSpec {
  double conversions_per_cycle = 0;  // log<->linear conversions per cycle per core
  int latency_cycles = 0;
  int int_bits = 4;  // exponent integer bits
  int frac_bits = 3;  // exponent fractional bits; the exact converter's table has 2^frac_bits entries
  LnsConvert convert = LnsConvert::Exact;
};

struct DramSpec {
  double bandwidth = 0;   // bytes/s, shared by all cores
  double latency_s = 0;   // per transfer
  double efficiency = 1;  // fraction of the bandwidth that transfers achieve
};

struct MacEnergyEntry {
  NumFormat format = NumFormat::Int;
  int weight_bits = 8;
  int act_bits = 8;
  double joules = 0;
};

struct EnergySpec {
  std::vector<MacEnergyEntry> mac;  // per MAC on the linear (int/fp8) array
  double lns_add_j = 0;         // one log-domain multiply (an exponent addition)
  double lns_convert_j = 0;     // one log<->linear conversion
  double lns_accumulate_j = 0;  // one linear-domain accumulation after conversion
  double vector_op_j = 0;       // one element-wise operation
  double accumulator_read_j = 0;   // one partial-sum entry read from the accumulator memory
  double accumulator_write_j = 0;  // one entry written
  double ocm_read_j_per_byte = 0;
  double ocm_write_j_per_byte = 0;
  double dram_read_j_per_byte = 0;
  double dram_write_j_per_byte = 0;
  double static_power_w = 0;  // whole chip, without the OCM leakage below
  // The OCM figures above and this leakage (per core) follow the OCM's capacity (sim/energy/
  // memory_model.h) unless the config pins them; these say which were pinned.
  double ocm_leakage_w = 0;
  bool ocm_read_pinned = false, ocm_write_pinned = false, ocm_leakage_pinned = false;
};

// The node the config claims and how it scales 45 nm reference figures (Horowitz ISSCC 2014 etc.).
struct TechnologySpec {
  std::string node;          // as written, for reports ("16 nm"); empty when not given
  double energy_scale = 1;   // 45 nm energies x this (the OCM capacity model uses it)
  double area_scale = 1;     // 45 nm areas x this
};

// Area of one MAC unit able to run operands up to these widths, at 45 nm (before area_scale).
struct MacAreaEntry {
  NumFormat format = NumFormat::Int;
  int weight_bits = 8;
  int act_bits = 8;
  double mm2 = 0;
};

// Area figures at 45 nm (scaled by TechnologySpec::area_scale); sim/energy/area.h adds them up.
struct AreaSpec {
  bool present = false;          // false: the config gives no area table and the report has none
  std::vector<MacAreaEntry> mac;
  double vector_lane_mm2 = 0;    // per element per cycle of the vector unit
  double lns_lane_mm2 = 0;       // per conversion per cycle of the LNS unit
  double dma_mm2 = 0;            // one DMA engine
  double sram_bit_mm2 = 0;       // one OCM bit with its share of the periphery
  double other_mm2 = 0;          // per core: anything else the config wants counted (control, NoC)
};

struct HardwareSpec {
  std::string name;
  std::string file;  // where it was read from, for reports
  double clock_hz = 0;
  int cores = 1;
  MacArraySpec mac;
  OcmSpec ocm;
  DmaSpec dma;
  VectorSpec vector;
  LnsSpec lns;
  DramSpec dram;
  EnergySpec energy;
  TechnologySpec technology;
  AreaSpec area;

  // Peak MACs per cycle of one core for a layer's operands; 0 when the array cannot run them.
  int64_t macs_per_cycle(NumFormat f, int weight_bits, int act_bits) const;
  // Energy of one MAC on the linear array (J); negative when the table has no entry.
  double mac_energy(NumFormat f, int weight_bits, int act_bits) const;
  // Area of one MAC unit at 45 nm (mm^2); negative when the area table has no entry.
  double mac_area(NumFormat f, int weight_bits, int act_bits) const;
  double total_ocm_bytes() const { return ocm.size_bytes * cores; }
  // Static power of the whole chip: the configured figure plus every core's OCM leakage.
  double static_power_w() const { return energy.static_power_w + cores * energy.ocm_leakage_w; }
};

}  // namespace nnasim
