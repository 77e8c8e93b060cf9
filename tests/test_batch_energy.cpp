// Energy per inference across batch sizes: a batch shares one load of the weights among its
// samples, and the mapper's options for a batch include running it as the single sample's
// mapping over chunks of one sample's pixels (sched/stream.cpp), so under the energy objective a
// batch never costs more energy per inference than one sample.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace nnasim;

TEST_CASE("batch: ViT-B/16 at batch 8 uses no more energy per inference than at batch 1 (energy objective)",
          "[batch][energy][sim]") {
  // The regression this guards: at batch 8 the MLP's FCs streamed 1,576 tokens per block and
  // spilled their partial sums from the accumulator (1.7x the energy per inference of batch 1).
  auto joules = [](int batch) {
    const auto j = test::run_cli_json("run --hw " + test::hw_path("series4-8core") +
                                      " --model vit_b_16 --objective energy --batch " + std::to_string(batch));
    return j["energy"]["joules"].get<double>() / batch;
  };
  const double one = joules(1), eight = joules(8);
  INFO("energy per inference: batch 1 " << one << " J, batch 8 " << eight << " J");
  CHECK(eight <= one);
}
