// The hardware laws the SystemC modules and the mapper share (sim/hw/dram_share.h, the per-action
// energy functions of sim/energy): pure functions, checked against hand-worked figures.
#include <catch2/catch.hpp>

#include "sim/energy/energy_model.h"
#include "sim/hw/dram_share.h"
#include "tests/helpers.h"

using namespace nnasim;

TEST_CASE("laws: DRAM sharing is max-min fair (water-filling)", "[laws][dram]") {
  // 10 B/s among caps 1, 100, 100: the capped requester gets 1, the other two split 9.
  auto r = hw::max_min_rates(10, {100, 1, 100});
  REQUIRE(r.size() == 3);
  CHECK(r[0] == Approx(4.5));
  CHECK(r[1] == Approx(1));
  CHECK(r[2] == Approx(4.5));
  // Caps above an equal share: everyone gets a third; the sum never exceeds the peak.
  r = hw::max_min_rates(9, {5, 5, 5});
  for (double x : r) CHECK(x == Approx(3));
  // Caps below it: everyone gets their cap and bandwidth is left over.
  r = hw::max_min_rates(100, {1, 2, 3});
  CHECK(r[0] == Approx(1));
  CHECK(r[1] == Approx(2));
  CHECK(r[2] == Approx(3));
  // Eight cores streaming at once each see an eighth (DESIGN.md), unless their DMA caps them.
  CHECK(hw::equal_share_rate(115e9, 8, 96e9) == Approx(115e9 / 8));
  CHECK(hw::equal_share_rate(115e9, 1, 96e9) == Approx(96e9));
}

TEST_CASE("laws: energy per action prices reads as reads and writes as writes", "[laws][energy]") {
  HardwareSpec hw = test::literal_hw();
  hw.energy.ocm_read_j_per_byte = 1e-12;
  hw.energy.ocm_write_j_per_byte = 3e-12;
  hw.energy.dram_read_j_per_byte = 10e-12;
  hw.energy.dram_write_j_per_byte = 30e-12;
  CHECK(energy::ocm_read_joules(hw, 100) == Approx(100e-12));
  CHECK(energy::ocm_write_joules(hw, 100) == Approx(300e-12));
  CHECK(energy::dram_read_joules(hw, 100) == Approx(1000e-12));
  CHECK(energy::dram_write_joules(hw, 100) == Approx(3000e-12));
  energy::Actions a;
  a.ocm_read = 7, a.ocm_write = 11, a.dram_read = 13, a.dram_write = 17, a.macs = 5;
  const auto b = energy::energy_of(a, hw);
  CHECK(b.ocm == Approx(energy::ocm_read_joules(hw, 7) + energy::ocm_write_joules(hw, 11)));
  CHECK(b.dram == Approx(energy::dram_read_joules(hw, 13) + energy::dram_write_joules(hw, 17)));
  CHECK(b.mac == Approx(energy::mac_joules(hw, NumFormat::Int, 8, 8, 5)));
}
