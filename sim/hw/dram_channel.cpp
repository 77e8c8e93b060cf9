#include "sim/hw/dram_channel.h"
#include "sim/hw/sim_time.h"

#include "sim/hw/dram_share.h"

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
  // Max-min fair rates per requester (dram_share.h); a requester's rate is split equally among
  // its transfers in flight. Two classes: the foreground transfers share the peak; background
  // transfers (prefetches) then share what is left, each requester capped by what its engine
  // has left.
  std::vector<double> fg_rate;  // per requester of the foreground pass, by requester id
  double left = peak_;
  for (bool background : {false, true}) {
    req_.clear();
    caps_.clear();
    counts_.clear();
    for (Flow* f : active_) {
      if (is_background(f) != background) continue;
      size_t k = std::find(req_.begin(), req_.end(), f->requester) - req_.begin();
      if (k == req_.size()) {
        double cap = f->cap;
        if (background)
          for (const Flow* g : active_)
            if (!is_background(g) && g->requester == f->requester) cap -= g->rate;
        req_.push_back(f->requester);
        caps_.push_back(std::max(0.0, cap));
        counts_.push_back(0);
      }
      ++counts_[k];
    }
    if (req_.empty()) continue;
    rates_ = max_min_rates(std::max(0.0, left), caps_);
    for (Flow* f : active_) {
      if (is_background(f) != background) continue;
      size_t k = std::find(req_.begin(), req_.end(), f->requester) - req_.begin();
      f->rate = rates_[k] / counts_[k];
    }
    for (double r : rates_) left -= r;
  }
  wake_.cancel();
  if (active_.empty()) return;
  double next = -1;
  for (const Flow* f : active_) {
    if (f->rate <= 0) continue;  // a background flow with nothing left for it: waits
    double t = f->remaining / f->rate;
    if (next < 0 || t < next) next = t;
  }
  // Round up to the time resolution so the flow has really finished when we wake.
  const double res = sc_core::sc_get_time_resolution().to_seconds();
  if (next >= 0) wake_.notify(sim_time(std::ceil(next / res) * res));
}

void SharedBandwidthDram::on_wake() {
  advance();
  const double res = sc_core::sc_get_time_resolution().to_seconds();
  std::vector<Flow*> still;
  for (Flow* f : active_) {
    // Within one resolution step of done counts as done (the wake time was rounded up).
    if (f->rate > 0 && f->remaining <= f->rate * res * 1.0001) {
      f->remaining = 0;
      f->done.notify(sc_core::SC_ZERO_TIME);
    } else {
      still.push_back(f);
    }
  }
  active_.swap(still);
  reallocate();
}

void SharedBandwidthDram::layer_reached(int requester, int layer) {
  if (requester < 0) return;
  if (size_t(requester) >= reached_.size()) reached_.resize(size_t(requester) + 1, -1);
  if (layer <= reached_[size_t(requester)]) return;
  reached_[size_t(requester)] = layer;
  bool demanded = false;
  for (const Flow* f : active_) demanded |= f->background && f->requester == requester && f->layer <= layer;
  if (!demanded) return;
  advance();
  reallocate();
}

void SharedBandwidthDram::transfer(int64_t bytes, bool write, int requester, double max_rate, bool background,
                                   int layer) {
  if (bytes <= 0) return;
  (write ? stats_.write_bytes : stats_.read_bytes) += bytes;
  ++stats_.transfers;
  if (spec_.latency_s > 0) sc_core::wait(sim_time(spec_.latency_s));
  Flow f;
  f.remaining = double(bytes);
  f.cap = max_rate > 0 ? max_rate : peak_;
  f.requester = requester;
  f.background = background;
  f.layer = layer;
  advance();
  active_.push_back(&f);
  reallocate();
  sc_core::wait(f.done);
}

}  // namespace nnasim::hw
