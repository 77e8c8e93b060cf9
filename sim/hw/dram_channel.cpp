#include "sim/hw/dram_channel.h"
#include "sim/hw/sim_time.h"

#include <algorithm>
#include <cmath>

namespace nnasim::hw {

using sc_core::sc_time;
using sc_core::SC_SEC;

SharedBandwidthDram::SharedBandwidthDram(sc_core::sc_module_name name, const DramSpec& spec)
    : sc_module(name), spec_(spec), peak_(spec.bandwidth * spec.efficiency) {
  SC_METHOD(on_wake);
  sensitive << wake_;
  dont_initialize();
}

SharedBandwidthDram::~SharedBandwidthDram() = default;

void SharedBandwidthDram::advance() {
  const sc_time now = sc_core::sc_time_stamp();
  const double dt = (now - last_).to_seconds();
  if (dt > 0 && !active_.empty()) {
    stats_.busy_seconds += dt;
    for (Flow* f : active_) f->remaining = std::max(0.0, f->remaining - f->rate * dt);
  }
  last_ = now;
}

void SharedBandwidthDram::reallocate() {
  // Water-filling: flows whose cap is below an equal share get their cap; the rest share what is left.
  std::vector<Flow*> order(active_);
  std::stable_sort(order.begin(), order.end(), [](const Flow* a, const Flow* b) { return a->cap < b->cap; });
  double left = peak_;
  size_t n = order.size();
  for (size_t i = 0; i < order.size(); ++i) {
    double fair = left / double(n - i);
    order[i]->rate = std::min(order[i]->cap, fair);
    left -= order[i]->rate;
  }
  wake_.cancel();
  if (active_.empty()) return;
  double next = -1;
  for (const Flow* f : active_) {
    double t = f->remaining / f->rate;
    if (next < 0 || t < next) next = t;
  }
  // Round up to the time resolution so the flow has really finished when we wake.
  const double res = sc_core::sc_get_time_resolution().to_seconds();
  wake_.notify(sim_time(std::ceil(next / res) * res));
}

void SharedBandwidthDram::on_wake() {
  advance();
  const double res = sc_core::sc_get_time_resolution().to_seconds();
  std::vector<Flow*> still;
  for (Flow* f : active_) {
    // Within one resolution step of done counts as done (the wake time was rounded up).
    if (f->remaining <= f->rate * res * 1.0001) {
      f->remaining = 0;
      f->done.notify(sc_core::SC_ZERO_TIME);
    } else {
      still.push_back(f);
    }
  }
  active_.swap(still);
  reallocate();
}

void SharedBandwidthDram::transfer(int64_t bytes, bool write, double max_rate) {
  if (bytes <= 0) return;
  (write ? stats_.write_bytes : stats_.read_bytes) += bytes;
  ++stats_.transfers;
  if (spec_.latency_s > 0) sc_core::wait(sim_time(spec_.latency_s));
  Flow f;
  f.remaining = double(bytes);
  f.cap = max_rate > 0 ? max_rate : peak_;
  advance();
  active_.push_back(&f);
  reallocate();
  sc_core::wait(f.done);
}

}  // namespace nnasim::hw
