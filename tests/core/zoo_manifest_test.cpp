// Zoo::file_for: which file of the manifest a sweep point loads.
#include "core/zoo_manifest.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace infbench {
namespace {

// AOTInductor's kinds (src/backends/aotinductor.cpp): a package of the point's batch size, else
// one whose batch dimension is symbolic (tools/aoti_zoo.py --dynamic-batch).
TEST(ZooManifest, APackageOfTheBatchComesFirstThenTheBatchFreeKind) {
  const auto dir = std::filesystem::temp_directory_path() / "infbench-zoo-manifest-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "manifest.json") << R"({"models": {"m": {"files": {
      "aotinductor_fp16_b64": {"path": "m/m.fp16.b64.pt2"},
      "aotinductor_fp16_dyn": {"path": "m/m.fp16.dyn.pt2"}}}}})";
  const Zoo zoo(dir);
  const std::vector<std::string> kinds{"aotinductor_{precision}_b{batch}",
                                       "aotinductor_{precision}_dyn"};
  EXPECT_EQ(zoo.file_for("m", kinds, "fp16", 64), dir / "m/m.fp16.b64.pt2");
  EXPECT_EQ(zoo.file_for("m", kinds, "fp16", 256), dir / "m/m.fp16.dyn.pt2");
  EXPECT_EQ(zoo.file_for("m", kinds, "fp16", 1), dir / "m/m.fp16.dyn.pt2");
  EXPECT_TRUE(zoo.file_for("m", kinds, "fp32", 64).empty()) << "no fp32 package";
  EXPECT_TRUE(zoo.file_for("other", kinds, "fp16", 64).empty());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace infbench
