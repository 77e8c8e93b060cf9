// Simulated durations handed to SystemC, checked: SystemC counts time in picoseconds in 64 bits
// (about 213 days), and a wait longer than that wraps. Every duration goes through sim_time();
// one beyond kMaxSimSeconds (or the simulation passing it) stops the simulation, and simulate()
// reports an input error naming the limit instead of hanging or wrapping.
#pragma once
#include <systemc>

#include <cmath>

namespace nnasim::hw {

constexpr double kMaxSimSeconds = 1e6;  // about 11.6 days of simulated time

inline bool& sim_time_overflow() {
  static bool flag = false;
  return flag;
}

inline sc_core::sc_time sim_time(double seconds) {
  const double now = sc_core::sc_time_stamp().to_seconds();
  if (!std::isfinite(seconds) || seconds < 0 || now + seconds > kMaxSimSeconds) {
    sim_time_overflow() = true;
    sc_core::sc_stop();
    return sc_core::SC_ZERO_TIME;
  }
  return sc_core::sc_time(seconds, sc_core::SC_SEC);
}

}  // namespace nnasim::hw
