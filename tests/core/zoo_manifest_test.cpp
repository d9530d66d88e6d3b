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

// TorchScript records no input type: a pixel-input model's uint8 comes from the manifest, and only
// for inputs whose format records none; an unknown dtype changes nothing.
TEST(ZooManifest, InputDtypesFillOnlyWhatTheFormatDoesNotRecord) {
  const auto dir = std::filesystem::temp_directory_path() / "infbench-zoo-dtype-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "manifest.json") << R"({"models": {
      "p": {"files": {"torchscript": {"path": "p/p.ts"}},
            "inputs": [{"name": "input", "shape": [-1, 224, 224, 3], "dtype": "uint8"}]},
      "q": {"files": {"torchscript": {"path": "q/q.ts"}},
            "inputs": [{"name": "input", "shape": [-1, 4], "dtype": "complex64"}]}}})";
  EXPECT_EQ(manifest_input_dtypes(dir / "p/p.ts"), std::vector<DType>{DType::uint8});
  EXPECT_FALSE(manifest_input_dtypes(dir / "q/q.ts")) << "complex64 is not an infbench dtype";
  EXPECT_FALSE(manifest_input_dtypes(dir / "absent.ts"));

  const std::vector<TensorSpec> unrecorded{{"input", DType::float32, {}, false}};
  EXPECT_EQ(inputs_with_manifest_dtypes(unrecorded, dir / "p/p.ts").front().dtype, DType::uint8);
  EXPECT_EQ(inputs_with_manifest_dtypes(unrecorded, dir / "q/q.ts").front().dtype, DType::float32);
  const std::vector<TensorSpec> recorded{{"input", DType::float16, {-1, 224, 224, 3}, true}};
  EXPECT_EQ(inputs_with_manifest_dtypes(recorded, dir / "p/p.ts").front().dtype, DType::float16)
      << "a format's own record wins";
  const std::vector<TensorSpec> two(2, unrecorded.front());
  EXPECT_EQ(inputs_with_manifest_dtypes(two, dir / "p/p.ts").front().dtype, DType::float32)
      << "the manifest lists one input, the model has two";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace infbench
