// The Program: the contract between the scheduler and the hardware. Per core, in-order command
// streams for each unit (DMA, MAC array, LNS unit, vector unit); a command starts when the one
// before it on its unit has finished and every command in `deps` has finished. `Sync` is the
// Wait/Signal pair of the design card: it waits for its deps and signals the commands that depend
// on it (layer boundaries across cores). Every command carries its layer, so time, bytes and
// energy are attributed to layers. A Program serialises to text and reads back.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "sim/config/hw_spec.h"
#include "sim/program/gemm.h"

namespace nnasim::program {

enum class Kind : uint8_t { Load, Store, Compute, Convert, Vector, Sync };
enum class Unit : uint8_t { Dma, Mac, Lns, Vec };
constexpr int kUnits = 4;
const char* to_string(Kind k);
const char* to_string(Unit u);
Unit unit_of(Kind k);

struct Command {
  Kind kind = Kind::Sync;
  int core = 0;
  int layer = 0;
  bool weights = false;          // Load: these bytes are weights (for statistics)
  bool background = false;       // Load: a prefetch of a later layer's weights; the DRAM channel
                                 // serves it with the bandwidth the other transfers leave
  int64_t dram_bytes = 0;        // Load: DRAM -> OCM; Store: OCM -> DRAM
  Gemm gemm;                     // Compute: the tile on the MAC array
  int weight_bits = 8, act_bits = 8;
  NumFormat format = NumFormat::Int;
  int64_t ops = 0;               // Compute: MACs; Vector: element operations; Convert: conversions
  int64_t ocm_read = 0;          // bytes this command reads from OCM
  int64_t ocm_write = 0;         // bytes this command writes to OCM
  int64_t ocm_alloc = 0;         // OCM bytes this core allocates when the command starts
  int64_t ocm_free = 0;          // ... and frees when it ends
  std::vector<uint32_t> deps;    // indices of commands that must finish first
};

// The DMA commands, built in one place: a load moves `bytes` from DRAM into OCM (written there); a
// store moves them from OCM (read there) to DRAM. `weights` marks weight bytes for statistics.
Command load(int core, int layer, int64_t bytes, bool weights, std::vector<uint32_t> deps);
Command store(int core, int layer, int64_t bytes, std::vector<uint32_t> deps);

struct LayerInfo {
  std::string name;
  std::string op;
};

struct Program {
  int cores = 1;
  std::vector<LayerInfo> layers;
  std::vector<Command> cmds;  // in issue order; each (core, unit) stream keeps this order
  int64_t ocm_preload = 0;    // per core: bytes resident before the first command (steady-state weights)

  uint32_t add(Command c);
  void write(std::ostream& os) const;
  static Program read(std::istream& is, const std::string& file);
};

}  // namespace nnasim::program
