#include "pjrt_client.hpp"

#include <dlfcn.h>
#include <xla/pjrt/c/pjrt_c_api.h>

#include <array>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include "infbench/error.hpp"

namespace infbench::pjrt {
namespace {

// Args structs start with struct_size (the caller's header version: the plugin reads only what
// that version has) and extension_start; the rest zero.
template <class Args>
Args args_of(std::size_t struct_size) {
  Args args{};
  args.struct_size = struct_size;
  return args;
}
#define INFBENCH_ARGS(type) args_of<type>(type##_STRUCT_SIZE)

// Turns a PJRT_Error into an Error ("<what>: <message>") and frees it.
void check(const PJRT_Api* api, PJRT_Error* error, const std::string& what) {
  if (error == nullptr) return;
  auto message = INFBENCH_ARGS(PJRT_Error_Message_Args);
  message.error = error;
  api->PJRT_Error_Message(&message);
  const std::string text(message.message, message.message_size);
  auto destroy = INFBENCH_ARGS(PJRT_Error_Destroy_Args);
  destroy.error = error;
  api->PJRT_Error_Destroy(&destroy);
  throw Error(ErrorKind::framework, what + ": " + first_line(text));
}

// Waits for an event and destroys it; its error (a failed transfer or run) is thrown.
void await(const PJRT_Api* api, PJRT_Event* event, const std::string& what) {
  if (event == nullptr) return;
  auto wait = INFBENCH_ARGS(PJRT_Event_Await_Args);
  wait.event = event;
  PJRT_Error* error = api->PJRT_Event_Await(&wait);
  auto destroy = INFBENCH_ARGS(PJRT_Event_Destroy_Args);
  destroy.event = event;
  api->PJRT_Event_Destroy(&destroy);
  check(api, error, what);
}

struct TypeRow {
  PJRT_Buffer_Type pjrt;
  DType dtype;
};
constexpr std::array<TypeRow, 7> kTypes{{
    {PJRT_Buffer_Type_F32, DType::float32},
    {PJRT_Buffer_Type_F16, DType::float16},
    {PJRT_Buffer_Type_BF16, DType::bfloat16},
    {PJRT_Buffer_Type_S64, DType::int64},
    {PJRT_Buffer_Type_S32, DType::int32},
    {PJRT_Buffer_Type_U8, DType::uint8},
    {PJRT_Buffer_Type_PRED, DType::boolean},
}};

PJRT_Buffer_Type to_pjrt(DType dtype) {
  for (const auto& row : kTypes) {
    if (row.dtype == dtype) return row.pjrt;
  }
  return PJRT_Buffer_Type_INVALID;
}

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}
void put_key(std::string& out, std::uint32_t number, std::uint32_t wire_type) {
  put_varint(out, (std::uint64_t{number} << 3) | wire_type);
}
void put_int(std::string& out, std::uint32_t number, std::int64_t value) {
  put_key(out, number, 0);
  put_varint(out, static_cast<std::uint64_t>(value));
}
void put_bytes(std::string& out, std::uint32_t number, const std::string& bytes) {
  put_key(out, number, 2);
  put_varint(out, bytes.size());
  out += bytes;
}
void put_double(std::string& out, std::uint32_t number, double value) {
  put_key(out, number, 1);
  std::array<char, 8> raw{};
  std::memcpy(raw.data(), &value, 8);  // little-endian, as the wire format is
  out.append(raw.data(), raw.size());
}

// xla.OptionOverrideProto: string_field 1, bool_field 2, int_field 3, double_field 4.
std::string option_override(const std::string& value) {
  std::string out;
  std::int64_t integer = 0;
  double number = 0;
  const char* end = value.data() + value.size();
  if (value == "true" || value == "false") {
    put_int(out, 2, value == "true" ? 1 : 0);
  } else if (auto [p, ec] = std::from_chars(value.data(), end, integer);
             ec == std::errc() && p == end) {
    put_int(out, 3, integer);
  } else if (auto [q, ec2] = std::from_chars(value.data(), end, number);
             ec2 == std::errc() && q == end) {
    put_double(out, 4, number);
  } else {
    put_bytes(out, 1, value);
  }
  return out;
}

}  // namespace

std::string header_api_version() {
  return std::to_string(PJRT_API_MAJOR) + "." + std::to_string(PJRT_API_MINOR);
}

std::string compile_options(const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::string build;             // xla.ExecutableBuildOptionsProto
  put_int(build, 1, -1);         // device_ordinal: the client's choice
  put_int(build, 4, 1);          // num_replicas
  put_int(build, 5, 1);          // num_partitions
  std::string options;           // xla.CompileOptionsProto
  put_bytes(options, 3, build);  // executable_build_options
  for (const auto& [name, value] : overrides) {
    std::string entry;  // map<string, OptionOverrideProto> entry: key 1, value 2
    put_bytes(entry, 1, name);
    put_bytes(entry, 2, option_override(value));
    put_bytes(options, 7, entry);  // env_option_overrides
  }
  return options;
}

const Plugin& open_plugin(const std::filesystem::path& path) {
  static std::mutex mutex;
  static std::map<std::filesystem::path, Plugin> plugins;
  const std::lock_guard lock(mutex);
  if (const auto it = plugins.find(path); it != plugins.end()) return it->second;
  // RTLD_LOCAL: the plugin's own LLVM, protobuf and abseil stay out of the global scope, where
  // other frameworks' copies live (TensorFlow's, LibTorch's).
  void* library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    throw Error(ErrorKind::not_found,
                "xla: cannot open the PJRT plugin " + path.string() + " (" + ::dlerror() + ")");
  }
  using GetApi = const PJRT_Api* (*)();
  const auto get_api = reinterpret_cast<GetApi>(::dlsym(library, "GetPjrtApi"));
  if (get_api == nullptr) {
    throw Error(ErrorKind::unsupported,
                path.string() + " is not a PJRT plugin (it exports no GetPjrtApi)");
  }
  Plugin plugin;
  plugin.path = path;
  plugin.api = get_api();
  plugin.api_major = plugin.api->pjrt_api_version.major_version;
  plugin.api_minor = plugin.api->pjrt_api_version.minor_version;
  if (plugin.api_major != PJRT_API_MAJOR) {
    throw Error(ErrorKind::unsupported,
                path.string() + " has PJRT C API " + std::to_string(plugin.api_major) + "." +
                    std::to_string(plugin.api_minor) + ", infbench was built against " +
                    header_api_version() + ": the major versions must match");
  }
  // The header's Args structs may be newer than the plugin's: the plugin checks struct_size
  // and reads what its version has; a function it lacks sits past its PJRT_Api's struct_size.
  if (plugin.api->struct_size >= offsetof(PJRT_Api, PJRT_Plugin_Initialize) + sizeof(void*) &&
      plugin.api->PJRT_Plugin_Initialize != nullptr) {
    auto init = INFBENCH_ARGS(PJRT_Plugin_Initialize_Args);
    check(plugin.api, plugin.api->PJRT_Plugin_Initialize(&init),
          path.string() + ": PJRT_Plugin_Initialize");
  }
  auto attributes = INFBENCH_ARGS(PJRT_Plugin_Attributes_Args);
  if (plugin.api->PJRT_Plugin_Attributes != nullptr &&
      plugin.api->PJRT_Plugin_Attributes(&attributes) == nullptr) {
    for (std::size_t i = 0; i < attributes.num_attributes; ++i) {
      const auto& a = attributes.attributes[i];
      std::string value;
      if (a.type == PJRT_NamedValue_kString) value.assign(a.string_value, a.value_size);
      if (a.type == PJRT_NamedValue_kInt64) value = std::to_string(a.int64_value);
      if (a.type == PJRT_NamedValue_kBool) value = a.bool_value ? "true" : "false";
      if (a.type == PJRT_NamedValue_kInt64List) {
        for (std::size_t k = 0; k < a.value_size; ++k)
          value += (k ? "." : "") + std::to_string(a.int64_array_value[k]);
      }
      plugin.attributes +=
          (plugin.attributes.empty() ? "" : ", ") + std::string(a.name, a.name_size) + "=" + value;
    }
  }
  return plugins.emplace(path, std::move(plugin)).first->second;
}

// --- Event ------------------------------------------------------------------------------------

Event::Event(Event&& other) noexcept : api_(other.api_), event_(other.event_) {
  other.event_ = nullptr;
}
Event& Event::operator=(Event&& other) noexcept {
  std::swap(api_, other.api_);
  std::swap(event_, other.event_);
  return *this;
}
Event::~Event() {
  try {
    wait("");
  } catch (const Error&) {  // whoever needed the result has waited and reported the failure
  }
}
void Event::wait(const std::string& what) {
  PJRT_Event* event = std::exchange(event_, nullptr);
  await(api_, event, what);
}

// --- Buffer -----------------------------------------------------------------------------------

Buffer::Buffer(Buffer&& other) noexcept
    : api_(other.api_), buffer_(other.buffer_), host_done_(std::move(other.host_done_)) {
  other.buffer_ = nullptr;
}
Buffer& Buffer::operator=(Buffer&& other) noexcept {
  std::swap(api_, other.api_);
  std::swap(buffer_, other.buffer_);
  std::swap(host_done_, other.host_done_);
  return *this;
}
Buffer::~Buffer() {
  {
    const Event copy_done = std::move(host_done_);  // awaited here, before the buffer goes
  }
  if (buffer_ == nullptr) return;
  auto destroy = INFBENCH_ARGS(PJRT_Buffer_Destroy_Args);
  destroy.buffer = buffer_;
  if (PJRT_Error* error = api_->PJRT_Buffer_Destroy(&destroy)) {
    auto free_error = INFBENCH_ARGS(PJRT_Error_Destroy_Args);
    free_error.error = error;
    api_->PJRT_Error_Destroy(&free_error);  // a destructor cannot throw; nothing to recover
  }
}

Shape Buffer::dimensions() const {
  auto dims = INFBENCH_ARGS(PJRT_Buffer_Dimensions_Args);
  dims.buffer = buffer_;
  check(api_, api_->PJRT_Buffer_Dimensions(&dims), "xla: PJRT_Buffer_Dimensions");
  return {dims.dims, dims.dims + dims.num_dims};
}

DType Buffer::dtype() const {
  auto type = INFBENCH_ARGS(PJRT_Buffer_ElementType_Args);
  type.buffer = buffer_;
  check(api_, api_->PJRT_Buffer_ElementType(&type), "xla: PJRT_Buffer_ElementType");
  for (const auto& row : kTypes) {
    if (row.pjrt == type.type) return row.dtype;
  }
  throw Error(ErrorKind::unsupported, "xla: an output has PJRT element type " +
                                          std::to_string(static_cast<int>(type.type)) +
                                          ", which infbench does not handle");
}

Event Buffer::start_copy_to_host(std::byte* destination, std::size_t bytes) const {
  auto copy = INFBENCH_ARGS(PJRT_Buffer_ToHostBuffer_Args);
  copy.src = buffer_;
  copy.dst = destination;
  copy.dst_size = bytes;  // host_layout null: dense, major-to-minor (C order)
  check(api_, api_->PJRT_Buffer_ToHostBuffer(&copy), "xla: PJRT_Buffer_ToHostBuffer");
  return {api_, copy.event};
}

// --- Executable -------------------------------------------------------------------------------

Executable::Executable(Executable&& other) noexcept
    : api_(other.api_), executable_(other.executable_) {
  other.executable_ = nullptr;
}
Executable::~Executable() {
  if (executable_ == nullptr) return;
  auto destroy = INFBENCH_ARGS(PJRT_LoadedExecutable_Destroy_Args);
  destroy.executable = executable_;
  if (PJRT_Error* error = api_->PJRT_LoadedExecutable_Destroy(&destroy)) {
    auto free_error = INFBENCH_ARGS(PJRT_Error_Destroy_Args);
    free_error.error = error;
    api_->PJRT_Error_Destroy(&free_error);
  }
}

namespace {
// The PJRT_Executable behind a loaded one, destroyed after use.
class UnloadedView {
 public:
  UnloadedView(const PJRT_Api* api, PJRT_LoadedExecutable* loaded) : api_(api) {
    auto get = INFBENCH_ARGS(PJRT_LoadedExecutable_GetExecutable_Args);
    get.loaded_executable = loaded;
    check(api, api->PJRT_LoadedExecutable_GetExecutable(&get),
          "xla: PJRT_LoadedExecutable_GetExecutable");
    executable_ = get.executable;
  }
  UnloadedView(const UnloadedView&) = delete;
  UnloadedView& operator=(const UnloadedView&) = delete;
  ~UnloadedView() {
    auto destroy = INFBENCH_ARGS(PJRT_Executable_Destroy_Args);
    destroy.executable = executable_;
    if (PJRT_Error* error = api_->PJRT_Executable_Destroy(&destroy)) {
      auto free_error = INFBENCH_ARGS(PJRT_Error_Destroy_Args);
      free_error.error = error;
      api_->PJRT_Error_Destroy(&free_error);
    }
  }
  PJRT_Executable* get() const { return executable_; }

 private:
  const PJRT_Api* api_;
  PJRT_Executable* executable_ = nullptr;
};
}  // namespace

std::string Executable::serialize() const {
  const UnloadedView view(api_, executable_);
  auto serialize = INFBENCH_ARGS(PJRT_Executable_Serialize_Args);
  serialize.executable = view.get();
  check(api_, api_->PJRT_Executable_Serialize(&serialize), "xla: PJRT_Executable_Serialize");
  std::string bytes(serialize.serialized_bytes, serialize.serialized_bytes_size);
  if (serialize.serialized_executable_deleter != nullptr)
    serialize.serialized_executable_deleter(serialize.serialized_executable);
  return bytes;
}

std::size_t Executable::num_outputs() const {
  const UnloadedView view(api_, executable_);
  auto outputs = INFBENCH_ARGS(PJRT_Executable_NumOutputs_Args);
  outputs.executable = view.get();
  check(api_, api_->PJRT_Executable_NumOutputs(&outputs), "xla: PJRT_Executable_NumOutputs");
  return outputs.num_outputs;
}

Execution Executable::start(std::span<PJRT_Buffer* const> arguments) const {
  const std::size_t count = num_outputs();
  std::vector<PJRT_Buffer*> outputs(count, nullptr);
  PJRT_Buffer* const* argument_list = arguments.data();
  PJRT_Buffer** output_list = outputs.data();
  PJRT_Event* done = nullptr;
  auto options = INFBENCH_ARGS(PJRT_ExecuteOptions);
  auto run = INFBENCH_ARGS(PJRT_LoadedExecutable_Execute_Args);
  run.executable = executable_;
  run.options = &options;
  run.argument_lists = &argument_list;
  run.num_devices = 1;
  run.num_args = arguments.size();
  run.output_lists = &output_list;
  run.device_complete_events = &done;
  check(api_, api_->PJRT_LoadedExecutable_Execute(&run), "xla: PJRT_LoadedExecutable_Execute");
  Execution execution;
  execution.done = Event(api_, done);
  execution.outputs.reserve(count);
  for (auto* buffer : outputs) execution.outputs.emplace_back(api_, buffer);
  return execution;
}

// --- Client -----------------------------------------------------------------------------------

Client::Client(const Plugin& plugin, const std::vector<NamedValue>& options) : api_(plugin.api) {
  std::vector<PJRT_NamedValue> values;
  for (const auto& option : options) {
    auto v = INFBENCH_ARGS(PJRT_NamedValue);
    v.name = option.name.c_str();
    v.name_size = option.name.size();
    if (const auto* s = std::get_if<std::string>(&option.value)) {
      v.type = PJRT_NamedValue_kString;
      v.string_value = s->c_str();
      v.value_size = s->size();
    } else if (const auto* i = std::get_if<std::int64_t>(&option.value)) {
      v.type = PJRT_NamedValue_kInt64;
      v.int64_value = *i;
      v.value_size = 1;
    } else if (const auto* list = std::get_if<std::vector<std::int64_t>>(&option.value)) {
      v.type = PJRT_NamedValue_kInt64List;
      v.int64_array_value = list->data();
      v.value_size = list->size();
    } else if (const auto* f = std::get_if<float>(&option.value)) {
      v.type = PJRT_NamedValue_kFloat;
      v.float_value = *f;
      v.value_size = 1;
    } else {
      v.type = PJRT_NamedValue_kBool;
      v.bool_value = std::get<bool>(option.value);
      v.value_size = 1;
    }
    values.push_back(v);
  }
  auto create = INFBENCH_ARGS(PJRT_Client_Create_Args);
  create.create_options = values.data();
  create.num_options = values.size();
  check(api_, api_->PJRT_Client_Create(&create),
        "xla: PJRT_Client_Create (" + plugin.path.filename().string() + ")");
  client_ = create.client;
  auto devices = INFBENCH_ARGS(PJRT_Client_AddressableDevices_Args);
  devices.client = client_;
  if (PJRT_Error* error = api_->PJRT_Client_AddressableDevices(&devices)) {
    auto destroy = INFBENCH_ARGS(PJRT_Client_Destroy_Args);
    destroy.client = client_;
    api_->PJRT_Client_Destroy(&destroy);
    client_ = nullptr;
    check(api_, error, "xla: PJRT_Client_AddressableDevices");
  }
  if (devices.num_addressable_devices == 0) {
    auto destroy = INFBENCH_ARGS(PJRT_Client_Destroy_Args);
    destroy.client = client_;
    api_->PJRT_Client_Destroy(&destroy);
    client_ = nullptr;
    throw Error(ErrorKind::not_found,
                "xla: the PJRT client of " + plugin.path.string() + " has no addressable device");
  }
  device_ = devices.addressable_devices[0];
  device_count_ = devices.num_addressable_devices;
}

Client::~Client() {
  if (client_ == nullptr) return;
  auto destroy = INFBENCH_ARGS(PJRT_Client_Destroy_Args);
  destroy.client = client_;
  client_ = nullptr;
  if (PJRT_Error* error = api_->PJRT_Client_Destroy(&destroy)) {
    auto free_error = INFBENCH_ARGS(PJRT_Error_Destroy_Args);
    free_error.error = error;
    api_->PJRT_Error_Destroy(&free_error);
  }
}

std::string Client::platform() const {
  auto name = INFBENCH_ARGS(PJRT_Client_PlatformName_Args);
  name.client = client_;
  check(api_, api_->PJRT_Client_PlatformName(&name), "xla: PJRT_Client_PlatformName");
  auto version = INFBENCH_ARGS(PJRT_Client_PlatformVersion_Args);
  version.client = client_;
  check(api_, api_->PJRT_Client_PlatformVersion(&version), "xla: PJRT_Client_PlatformVersion");
  return std::string(name.platform_name, name.platform_name_size) + " " +
         std::string(version.platform_version, version.platform_version_size);
}

std::size_t Client::device_count() const { return device_count_; }

Executable Client::compile(const std::string& module, const std::string& options) const {
  static constexpr std::string_view kFormat = "mlir";
  auto program = INFBENCH_ARGS(PJRT_Program);
  program.code = const_cast<char*>(module.data());  // an input here, despite the char*
  program.code_size = module.size();
  program.format = kFormat.data();
  program.format_size = kFormat.size();
  auto compile = INFBENCH_ARGS(PJRT_Client_Compile_Args);
  compile.client = client_;
  compile.program = &program;
  compile.compile_options = options.data();
  compile.compile_options_size = options.size();
  check(api_, api_->PJRT_Client_Compile(&compile), "PJRT_Client_Compile");
  return {api_, compile.executable};
}

Executable Client::deserialize(const std::string& serialized) const {
  auto load = INFBENCH_ARGS(PJRT_Executable_DeserializeAndLoad_Args);
  load.client = client_;
  load.serialized_executable = serialized.data();
  load.serialized_executable_size = serialized.size();
  check(api_, api_->PJRT_Executable_DeserializeAndLoad(&load),
        "PJRT_Executable_DeserializeAndLoad");
  return {api_, load.loaded_executable};
}

Buffer Client::from_host(const TensorView& host, bool zero_copy) const {
  auto copy = INFBENCH_ARGS(PJRT_Client_BufferFromHostBuffer_Args);
  copy.client = client_;
  copy.data = host.data;
  copy.type = to_pjrt(host.dtype);
  copy.dims = host.shape.data();
  copy.num_dims = host.shape.size();
  copy.host_buffer_semantics = zero_copy
                                   ? PJRT_HostBufferSemantics_kImmutableZeroCopy
                                   : PJRT_HostBufferSemantics_kImmutableUntilTransferCompletes;
  copy.device = device_;
  check(api_, api_->PJRT_Client_BufferFromHostBuffer(&copy),
        "xla: PJRT_Client_BufferFromHostBuffer");
  // Zero-copy: the event fires only once the buffer is gone, so it is not awaited (the caller
  // keeps the memory until then); a copy's event is, by the buffer's destructor.
  if (zero_copy && copy.done_with_host_buffer != nullptr) {
    auto destroy = INFBENCH_ARGS(PJRT_Event_Destroy_Args);
    destroy.event = copy.done_with_host_buffer;
    api_->PJRT_Event_Destroy(&destroy);
    copy.done_with_host_buffer = nullptr;
  }
  return {api_, copy.buffer, copy.done_with_host_buffer};
}

Buffer Client::view_of_device(const TensorView& view) const {
  auto create = INFBENCH_ARGS(PJRT_Client_CreateViewOfDeviceBuffer_Args);
  create.client = client_;
  create.device_buffer_ptr = const_cast<std::byte*>(view.data);  // read only by the program
  create.dims = view.shape.data();
  create.num_dims = view.shape.size();
  create.element_type = to_pjrt(view.dtype);
  create.device = device_;
  // The staging buffer stays ours. A no-op callback, not null: the CUDA plugin wraps it in a
  // std::function that it calls unconditionally when the view is destroyed (a null one aborted
  // the process with std::bad_function_call on the H200).
  create.on_delete_callback = [](void*, void*) {};
  // stream 0: the staging copy has finished before run_batch() is called (core/staging.hpp).
  check(api_, api_->PJRT_Client_CreateViewOfDeviceBuffer(&create),
        "xla: PJRT_Client_CreateViewOfDeviceBuffer");
  return {api_, create.buffer};
}

}  // namespace infbench::pjrt
