#include "sim/program/program.h"

#include <fmt/format.h>

#include <istream>
#include <ostream>
#include <sstream>

#include "sim/common/error.h"

namespace nnasim::program {

const char* to_string(Kind k) {
  switch (k) {
    case Kind::Load: return "load";
    case Kind::Store: return "store";
    case Kind::Compute: return "compute";
    case Kind::Convert: return "convert";
    case Kind::Vector: return "vector";
    case Kind::Sync: return "sync";
  }
  return "?";
}
const char* to_string(Unit u) {
  switch (u) {
    case Unit::Dma: return "dma";
    case Unit::Mac: return "mac";
    case Unit::Lns: return "lns";
    case Unit::Vec: return "vector";
  }
  return "?";
}
Command load(int core, int layer, int64_t bytes, bool weights, std::vector<uint32_t> deps) {
  Command c;
  c.kind = Kind::Load, c.core = core, c.layer = layer, c.weights = weights;
  c.dram_bytes = c.ocm_write = bytes;
  c.deps = std::move(deps);
  return c;
}

Command store(int core, int layer, int64_t bytes, std::vector<uint32_t> deps) {
  Command c;
  c.kind = Kind::Store, c.core = core, c.layer = layer;
  c.dram_bytes = c.ocm_read = bytes;
  c.deps = std::move(deps);
  return c;
}

Unit unit_of(Kind k) {
  switch (k) {
    case Kind::Load:
    case Kind::Store: return Unit::Dma;
    case Kind::Compute:
    case Kind::Sync: return Unit::Mac;
    case Kind::Convert: return Unit::Lns;
    case Kind::Vector: return Unit::Vec;
  }
  return Unit::Mac;
}

uint32_t Program::add(Command c) {
  for (uint32_t d : c.deps)
    if (d >= cmds.size()) throw InternalError("program: a command depends on a later command");
  cmds.push_back(std::move(c));
  return static_cast<uint32_t>(cmds.size() - 1);
}

// Text form: a header, one line per layer, one line per command. Stable and diff-able.
void Program::write(std::ostream& os) const {
  os << fmt::format("nnasim_program 2 cores {} layers {} commands {} preload {}\n", cores, layers.size(),
                    cmds.size(), ocm_preload);
  for (const auto& l : layers) os << fmt::format("layer {} {}\n", l.name, l.op);
  for (const auto& c : cmds) {
    os << fmt::format("{} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {}", to_string(c.kind), c.core, c.layer,
                      int(c.weights) + 2 * int(c.background), c.dram_bytes, c.gemm.m, c.gemm.k, c.gemm.n, c.gemm.groups, int(c.gemm.fill) + 2 * int(c.gemm.drain), c.weight_bits,
                      c.act_bits, int(c.format), c.ops, c.ocm_read, c.ocm_write, c.ocm_alloc, c.ocm_free,
                      c.deps.size(), "");
    for (size_t i = 0; i < c.deps.size(); ++i) os << (i ? " " : "") << c.deps[i];
    os << "\n";
  }
}

Program Program::read(std::istream& is, const std::string& file) {
  Program p;
  std::string line;
  int lineno = 0;
  auto fail = [&](const std::string& what) { throw InputError({file, lineno}, what); };
  std::getline(is, line), ++lineno;
  std::istringstream h(line);
  std::string magic, k1, k2, k3, k4;
  int version = 0;
  size_t nl = 0, nc = 0;
  if (!(h >> magic >> version >> k1 >> p.cores >> k2 >> nl >> k3 >> nc >> k4 >> p.ocm_preload) ||
      magic != "nnasim_program")
    fail("not an nnasim program: expected a first line 'nnasim_program 2 cores N layers L commands C preload B'");
  if (version < 1 || version > 2)
    fail(fmt::format("program version {} is not one this nnasim reads (1 or 2)", version));
  for (size_t i = 0; i < nl; ++i) {
    if (!std::getline(is, line)) fail("the file ends before its layers");
    ++lineno;
    std::istringstream s(line);
    std::string kw;
    LayerInfo li;
    if (!(s >> kw >> li.name >> li.op) || kw != "layer") fail("expected 'layer NAME OP'");
    p.layers.push_back(li);
  }
  for (size_t i = 0; i < nc; ++i) {
    if (!std::getline(is, line)) fail("the file ends before its commands");
    ++lineno;
    std::istringstream s(line);
    std::string kind;
    Command c;
    int w = 0, f = 0, fd = 3;
    size_t nd = 0;
    if (!(s >> kind >> c.core >> c.layer >> w >> c.dram_bytes >> c.gemm.m >> c.gemm.k >> c.gemm.n >> c.gemm.groups) ||
        (version >= 2 && !(s >> fd)) || fd < 0 || fd > 3 ||
        !(s >> c.weight_bits >> c.act_bits >> f >> c.ops >> c.ocm_read >> c.ocm_write >> c.ocm_alloc >> c.ocm_free >> nd))
      fail("malformed command line");
    bool known = false;
    for (Kind k : {Kind::Load, Kind::Store, Kind::Compute, Kind::Convert, Kind::Vector, Kind::Sync})
      if (kind == to_string(k)) c.kind = k, known = true;
    if (!known) fail(fmt::format("unknown command '{}'", kind));
    if (c.core < 0 || c.core >= p.cores || c.layer < 0 || c.layer >= static_cast<int>(p.layers.size()))
      fail("command names a core or layer out of range");
    c.weights = (w & 1) != 0;  // bit 1: a background transfer (older files have 0 or 1)
    c.background = (w & 2) != 0;
    c.gemm.fill = fd & 1;
    c.gemm.drain = fd & 2;
    c.format = static_cast<NumFormat>(f);
    for (size_t d = 0; d < nd; ++d) {
      uint32_t x;
      if (!(s >> x) || x >= i) fail("a dependency must name an earlier command");
      c.deps.push_back(x);
    }
    p.cmds.push_back(std::move(c));
  }
  return p;
}

}  // namespace nnasim::program
