// The GPU half of the LibTorch adapters for a LibTorch without CUDA (Debian's 1.13): no GPU is
// visible, so Model never hands these adapters a device >= 0; the calls that need one say why.
#include "torch_gpu.hpp"

namespace infbench::torch_gpu {
namespace {
[[noreturn]] void no_cuda() {
  throw Error(ErrorKind::unsupported, "the LibTorch this binary was built with has no CUDA");
}
}  // namespace

bool built() { return false; }
std::vector<int> visible_gpus() { return {}; }
BackendInfo::AllocatorPeaks (*allocator_peaks())(int, bool) { return nullptr; }
void set_process_switches(bool, bool) { no_cuda(); }
std::string device_name(int) { no_cuda(); }

struct ModelStream::Stream {};
struct ModelStream::Scope::Guards {};
ModelStream::ModelStream(int device) : device_(device) {
  if (device_ >= 0) no_cuda();
}
ModelStream::~ModelStream() = default;
ModelStream::Scope::Scope(std::unique_ptr<Guards> guards) : guards_(std::move(guards)) {}
ModelStream::Scope::Scope(Scope&&) noexcept = default;
ModelStream::Scope::~Scope() = default;
ModelStream::Scope ModelStream::enter() const { return Scope(nullptr); }

struct GraphCache::Graphs {};
GraphCache::GraphCache(int device) : device_(device) { no_cuda(); }
GraphCache::~GraphCache() = default;
c10::IValue GraphCache::replay(torch::jit::Module&, const std::vector<at::Tensor>&) { no_cuda(); }

}  // namespace infbench::torch_gpu
