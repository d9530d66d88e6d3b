# Finds Apache TVM's runtime in the PyPI wheels apache-tvm and apache-tvm-ffi, installed by
# scripts/setup.sh into .deps/venv-mlir (scripts/requirements-mlir.txt). The C++ API is tvm-ffi's
# (headers in tvm_ffi/include, libtvm_ffi.so): Module::LoadFromFile opens a compiled Relax module,
# the Relax VM inside libtvm_runtime.so runs it. The wheels' own CMake package (tvm_ffi-config)
# asks a Python interpreter for its paths and would find Debian's python3, which has no tvm_ffi;
# hence this module, which looks at the files directly.
# TVMRuntime_ROOT: the site-packages folder holding tvm/ and tvm_ffi/ (default: .deps/venv-mlir's).
# Provides the imported target TVM::Runtime and TVMRuntime_VERSION (apache-tvm's).
if(NOT TVMRuntime_ROOT)
  file(GLOB TVMRuntime_ROOT "${PROJECT_SOURCE_DIR}/.deps/venv-mlir/lib/python3*/site-packages")
endif()
find_path(TVMRuntime_INCLUDE_DIR tvm/ffi/extra/module.h HINTS "${TVMRuntime_ROOT}/tvm_ffi/include"
          NO_DEFAULT_PATH)
find_path(TVMRuntime_DLPACK_INCLUDE_DIR dlpack/dlpack.h HINTS "${TVMRuntime_ROOT}/tvm_ffi/include"
          "${TVMRuntime_ROOT}/tvm_ffi/3rdparty/dlpack/include" NO_DEFAULT_PATH)
find_file(TVMRuntime_FFI_LIBRARY libtvm_ffi.so HINTS "${TVMRuntime_ROOT}/tvm_ffi/lib" NO_DEFAULT_PATH)
find_file(TVMRuntime_LIBRARY libtvm_runtime.so HINTS "${TVMRuntime_ROOT}/tvm/lib" NO_DEFAULT_PATH)
# libtvm_runtime_cuda.so: the CUDA device API (CUDA 13's libcudart.so.13). Optional: the adapter
# loads it when a GPU is asked for.
find_file(TVMRuntime_CUDA_LIBRARY libtvm_runtime_cuda.so HINTS "${TVMRuntime_ROOT}/tvm/lib"
          NO_DEFAULT_PATH)
if(TVMRuntime_ROOT)
  file(GLOB _tvm_dist "${TVMRuntime_ROOT}/apache_tvm-*.dist-info")
  if(_tvm_dist)
    list(GET _tvm_dist 0 _tvm_dist)
    string(REGEX MATCH "apache_tvm-([0-9a-z.]+)\\.dist-info$" _ "${_tvm_dist}")
    set(TVMRuntime_VERSION "${CMAKE_MATCH_1}")
  endif()
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(TVMRuntime
  REQUIRED_VARS TVMRuntime_LIBRARY TVMRuntime_FFI_LIBRARY TVMRuntime_INCLUDE_DIR
                TVMRuntime_DLPACK_INCLUDE_DIR
  VERSION_VAR TVMRuntime_VERSION)
if(TVMRuntime_FOUND AND NOT TARGET TVM::Runtime)
  add_library(TVM::FFI SHARED IMPORTED)
  set_target_properties(TVM::FFI PROPERTIES IMPORTED_LOCATION "${TVMRuntime_FFI_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${TVMRuntime_INCLUDE_DIR};${TVMRuntime_DLPACK_INCLUDE_DIR}")
  # libtvm_runtime.so registers the Relax VM and the ".so" module loader with tvm-ffi when it is
  # loaded, and infbench calls none of its symbols: the adapter dlopens it (RTLD_GLOBAL, as the
  # compiled modules need its TVMBackend* symbols) at its first load, so binaries that never run
  # TVM do not load it. libtvm_ffi.so, whose C++ API the adapter calls, is linked.
  add_library(TVM::Runtime INTERFACE IMPORTED)
  set(_tvm_cuda "")
  if(TVMRuntime_CUDA_LIBRARY)
    set(_tvm_cuda "INFBENCH_TVM_CUDA_LIBRARY=\"${TVMRuntime_CUDA_LIBRARY}\"")
  endif()
  set_target_properties(TVM::Runtime PROPERTIES
    INTERFACE_LINK_LIBRARIES "TVM::FFI;${CMAKE_DL_LIBS}"
    INTERFACE_COMPILE_DEFINITIONS
      "INFBENCH_TVM_VERSION=\"${TVMRuntime_VERSION}\";INFBENCH_TVM_RUNTIME_LIBRARY=\"${TVMRuntime_LIBRARY}\";${_tvm_cuda}")
endif()
