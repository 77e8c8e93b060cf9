// Golden end-to-end reports: the JSON report of tinynet and of ResNet-50 on series4-1core must
// equal tests/golden/*.json byte for byte. A change of the scheduler, the hardware model or the
// report changes them on purpose: then run scripts/update_golden.sh (it prints what changed,
// figure by figure) and commit the new files with the reason.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "helpers.h"

using nnasim::test::run_cli;
using nnasim::test::source_dir;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void check_golden(const std::string& model) {
  const std::string file = source_dir() + "/tests/golden/" + model + "-series4-1core.json";
  const std::string expected = read(file);
  REQUIRE(!expected.empty());
  auto r = run_cli("run --model " + model + " --hw " + source_dir() + "/configs/hw/series4-1core.yaml --format json");
  REQUIRE(r.status == 0);
  if (r.out == expected) return;
  std::istringstream a(expected), b(r.out);
  std::string la, lb;
  int line = 0;
  while (true) {
    ++line;
    bool ga = static_cast<bool>(std::getline(a, la)), gb = static_cast<bool>(std::getline(b, lb));
    if (!ga || !gb || la != lb) break;
  }
  FAIL("the report of " << model << " differs from " << file << " at line " << line << ":\n  golden: " << la
                        << "\n  now:    " << lb
                        << "\nIf this change is intended, run scripts/update_golden.sh (it lists what changed) "
                           "and commit tests/golden/ with the reason.");
}

}  // namespace

TEST_CASE("golden: tinynet on series4-1core", "[golden]") { check_golden("tinynet"); }
TEST_CASE("golden: ResNet-50 on series4-1core", "[golden]") { check_golden("resnet50"); }
