// The nnasim side of the ZigZag comparison (bench/compare_zigzag.sh) without ZigZag: its layers'
// MACs against their closed form, the Program's tiles it reads the mapping from, the matched
// machine's figures, and the hand count of ResNet-50's partial sums (426,744,000 B on 64 rows,
// issue 12) against models/resnet50.onnx. Catches a change of the Program's text format or of the
// report before it turns into a silently wrong comparison. bench/zigzag/self_check.py does the work.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fmt/format.h>

#include "helpers.h"

namespace fs = std::filesystem;
using namespace nnasim::test;

TEST_CASE("ZigZag benchmark: nnasim side, mapping extraction and partial-sum count", "[bench][zigzag]") {
  if (!fs::exists("/usr/bin/python3")) {
    WARN("/usr/bin/python3 not found: skipping bench/zigzag/self_check.py");
    return;
  }
  const fs::path work = fs::path(temp_file("zigzag_self_check.keep", "")).parent_path() / "zigzag_self_check";
  fs::remove_all(work);
  auto r = run_shell(fmt::format("/usr/bin/python3 '{}/bench/zigzag/self_check.py' '{}' '{}' '{}' 2>&1", source_dir(),
                                 NNASIM_BINARY, source_dir(), work.string()));
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("FAIL") == std::string::npos);
  CHECK(r.out.find("ok   ResNet-50 partial sums between 64-row folds = 426,744,000 B") != std::string::npos);
}
