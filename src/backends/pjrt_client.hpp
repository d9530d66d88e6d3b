#pragma once
// A small RAII layer over the PJRT C API (xla/pjrt/c/pjrt_c_api.h), for the xla adapter: a plugin
// opened with dlopen, a client, compiled executables, device buffers and events. Every PJRT_Error
// becomes an infbench::Error of one line, "<what>: <PJRT's message>"; callers add the file.
// Only this file and pjrt_client.cpp include the C API header.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "infbench/tensor.hpp"

struct PJRT_Api;
struct PJRT_Client;
struct PJRT_Device;
struct PJRT_LoadedExecutable;
struct PJRT_Buffer;
struct PJRT_Event;

namespace infbench::pjrt {

// An opened, initialised plugin. Plugins are never closed (XLA registers process-wide state).
struct Plugin {
  std::filesystem::path path;
  const PJRT_Api* api = nullptr;
  int api_major = 0, api_minor = 0;  // the plugin's PJRT C API version
  std::string attributes;            // PJRT_Plugin_Attributes, "name=value" joined by ", "
};

// Opens `path` once per process (later calls return the same Plugin), checks that its C API major
// version is the header's and initialises it.
const Plugin& open_plugin(const std::filesystem::path& path);
std::string header_api_version();  // "0.90": the version infbench was compiled against

// A PJRT_Client_Create option (PJRT_NamedValue).
struct NamedValue {
  std::string name;
  std::variant<std::string, std::int64_t, std::vector<std::int64_t>, float, bool> value;
};

// A pending PJRT operation (an execution, a copy). wait() awaits it and throws its error; the
// destructor awaits it too (an error then ignored: it was reported or is moot), so that memory
// the operation reads or writes outlives it.
class Event {
 public:
  Event() = default;
  Event(const PJRT_Api* api, PJRT_Event* event) : api_(api), event_(event) {}
  Event(Event&& other) noexcept;
  Event& operator=(Event&& other) noexcept;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event();
  void wait(const std::string& what);  // no-op once waited for, or for an empty Event

 private:
  const PJRT_Api* api_ = nullptr;
  PJRT_Event* event_ = nullptr;
};

class Buffer {
 public:
  // `host_done`: the event of a host-to-device copy, awaited before the buffer is destroyed.
  Buffer(const PJRT_Api* api, PJRT_Buffer* buffer, PJRT_Event* host_done = nullptr)
      : api_(api), buffer_(buffer), host_done_(api, host_done) {}
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer();
  PJRT_Buffer* get() const { return buffer_; }
  Shape dimensions() const;
  DType dtype() const;
  // Starts the copy to host memory (dense, C order), which runs once the buffer's data is ready;
  // `destination` stays valid until the returned event fired.
  Event start_copy_to_host(std::byte* destination, std::size_t bytes) const;

 private:
  const PJRT_Api* api_;
  PJRT_Buffer* buffer_;
  Event host_done_;
};

// An execution enqueued on the device: its output buffers (usable at once, e.g. as copy sources:
// PJRT orders the work) and the event of its completion. Destroyed, it first waits for it.
struct Execution {
  std::vector<Buffer> outputs;
  Event done;
};

class Executable {
 public:
  Executable(const PJRT_Api* api, PJRT_LoadedExecutable* executable)
      : api_(api), executable_(executable) {}
  Executable(Executable&& other) noexcept;
  Executable& operator=(Executable&&) = delete;
  Executable(const Executable&) = delete;
  ~Executable();
  std::string serialize() const;  // PJRT_Executable_Serialize: for the compiled-executable cache
  std::size_t num_outputs() const;
  // Enqueues a run on the executable's one device and returns without waiting for it; the
  // arguments stay alive until `done` fired.
  Execution start(std::span<PJRT_Buffer* const> arguments) const;

 private:
  const PJRT_Api* api_;
  PJRT_LoadedExecutable* executable_;
};

class Client {
 public:
  Client(const Plugin& plugin, const std::vector<NamedValue>& options);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();
  std::string platform() const;  // "cpu", "cuda": PJRT_Client_PlatformName + PlatformVersion
  std::size_t device_count() const;
  // Compiles a StableHLO module (format "mlir": text, bytecode or a portable artifact) with a
  // serialized xla.CompileOptionsProto.
  Executable compile(const std::string& module, const std::string& compile_options) const;
  Executable deserialize(const std::string& serialized) const;
  // Host -> device 0 of the client. The caller keeps `host` alive and unchanged until the buffer
  // is destroyed: `zero_copy` lets the plugin alias it (the CPU); otherwise the copy runs
  // asynchronously and the buffer's destructor waits for it.
  Buffer from_host(const TensorView& host, bool zero_copy) const;
  // A buffer over memory already on the client's device 0 (`view.data` a device pointer, its data
  // complete), not owned: the GPU pipeline's staged inputs (PJRT_Client_CreateViewOfDeviceBuffer).
  Buffer view_of_device(const TensorView& view) const;

 private:
  const PJRT_Api* api_;
  PJRT_Client* client_ = nullptr;
  PJRT_Device* device_ = nullptr;  // the first addressable device
  std::size_t device_count_ = 0;
};

// Serialized xla.CompileOptionsProto for one replica and partition, with XLA debug options
// (flag names without "--", e.g. xla_cpu_enable_fast_math) as env_option_overrides. Values
// "true"/"false" become bools, integers ints, other numbers doubles, the rest strings.
std::string compile_options(const std::vector<std::pair<std::string, std::string>>& overrides);

}  // namespace infbench::pjrt
