# Finds ONNX Runtime's C/C++ API. Looks in ONNXRUNTIME_ROOT (default: .deps/onnxruntime, where
# scripts/setup.sh puts the npm-provided build), then in system paths.
# Provides the imported target OnnxRuntime::OnnxRuntime.
set(ONNXRUNTIME_ROOT "${PROJECT_SOURCE_DIR}/.deps/onnxruntime"
    CACHE PATH "ONNX Runtime installation (include/ and lib/)")
find_path(OnnxRuntime_INCLUDE_DIR onnxruntime_cxx_api.h
          HINTS "${ONNXRUNTIME_ROOT}/include" PATH_SUFFIXES onnxruntime onnxruntime/core/session)
find_library(OnnxRuntime_LIBRARY NAMES onnxruntime libonnxruntime.so.1
             HINTS "${ONNXRUNTIME_ROOT}/lib" "${ONNXRUNTIME_ROOT}/lib64")
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(OnnxRuntime REQUIRED_VARS OnnxRuntime_LIBRARY OnnxRuntime_INCLUDE_DIR)
if(OnnxRuntime_FOUND AND NOT TARGET OnnxRuntime::OnnxRuntime)
  add_library(OnnxRuntime::OnnxRuntime SHARED IMPORTED)
  set_target_properties(OnnxRuntime::OnnxRuntime PROPERTIES
    IMPORTED_LOCATION "${OnnxRuntime_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${OnnxRuntime_INCLUDE_DIR}")
endif()
