// The external memory channel shared by all cores.
//
// DramChannel is the narrow interface a DMA engine sees (in the spirit of DRAMsim3's
// AddTransaction/callback): transfer() blocks the calling SystemC thread until the bytes have
// moved. SharedBandwidthDram is its first implementation: a transfer takes
// latency + bytes / (bandwidth x efficiency) when alone; concurrent transfers share the bandwidth
// max-min fairly between requesters (each capped by its DMA engine's rate; the law is
// max_min_rates() in dram_share.h, which the mapper calls too), re-computed whenever one starts or
// ends; a requester's transfers in flight split its share equally. Eight cores streaming weights at once each see an eighth. A cycle-level back-end
// (Ramulator, DRAMsim3) could implement the same interface.
#pragma once
#include <systemc>

#include <cstdint>
#include <vector>

#include "sim/config/hw_spec.h"

namespace nnasim::hw {

struct DramStats {
  int64_t read_bytes = 0;
  int64_t write_bytes = 0;
  int64_t transfers = 0;
  double busy_seconds = 0;  // time with at least one transfer moving data
};

class DramChannel {
 public:
  virtual ~DramChannel() = default;
  // Moves `bytes` (a read from DRAM, or a write to it) for `requester` (a core's DMA engine);
  // `max_rate` caps that requester (bytes/s), shared by its transfers in flight. Must be called
  // from an SC_THREAD; several threads of one requester may call it at once.
  // A `background` transfer gets only the bandwidth the others leave (a low-priority prefetch of
  // the weights of `layer`), until its requester reaches that layer (layer_reached): then it is
  // demanded and shares like any other.
  virtual void transfer(int64_t bytes, bool write, int requester, double max_rate, bool background = false,
                        int layer = 0) = 0;
  virtual void layer_reached(int requester, int layer) = 0;
  virtual const DramStats& stats() const = 0;
};

class SharedBandwidthDram : public sc_core::sc_module, public DramChannel {
 public:
  SC_HAS_PROCESS(SharedBandwidthDram);
  SharedBandwidthDram(sc_core::sc_module_name name, const DramSpec& spec);
  ~SharedBandwidthDram() override;

  void transfer(int64_t bytes, bool write, int requester, double max_rate, bool background = false,
                int layer = 0) override;
  void layer_reached(int requester, int layer) override;
  const DramStats& stats() const override { return stats_; }

 private:
  struct Flow {
    double remaining = 0;  // bytes
    double cap = 0;        // bytes/s
    double rate = 0;       // bytes/s, current allocation
    int requester = 0;
    bool background = false;
    int layer = 0;
    sc_core::sc_event done;
  };
  void advance();     // move every active flow forward to the current time
  void reallocate();  // max-min fair rates; schedule the next completion
  void on_wake();

  DramSpec spec_;
  double peak_;  // bytes/s after efficiency
  std::vector<Flow*> active_;
  std::vector<int> req_;        // scratch for reallocate(): requesters with flows in flight,
  std::vector<double> caps_;    // their caps
  std::vector<int> counts_;     // and their number of flows
  std::vector<double> rates_;   // their rates
  std::vector<int> reached_;    // per requester: the latest layer it reached
  bool is_background(const Flow* f) const {
    return f->background && !(size_t(f->requester) < reached_.size() && reached_[size_t(f->requester)] >= f->layer);
  }
  sc_core::sc_time last_;
  sc_core::sc_event wake_;
  DramStats stats_;
};

}  // namespace nnasim::hw
