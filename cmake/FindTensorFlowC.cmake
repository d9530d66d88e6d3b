# Finds TensorFlow's C API in the PyPI wheel (tensorflow-cpu, installed by scripts/setup.sh into
# .deps/venv): headers in tensorflow/include, the C API exported by libtensorflow_cc.so.2 beside
# libtensorflow_framework.so.2. The wheel ships no CMake package, hence this module.
# TensorFlowC_ROOT: the wheel's tensorflow/ folder (default: found under INFBENCH_SITE_PACKAGES).
# Provides the imported target TensorFlow::CHeaders and TensorFlowC_VERSION.
if(NOT TensorFlowC_ROOT)
  foreach(dir IN LISTS INFBENCH_SITE_PACKAGES)
    if(EXISTS "${dir}/tensorflow/include/tensorflow/c/c_api.h")
      set(TensorFlowC_ROOT "${dir}/tensorflow")
    endif()
  endforeach()
endif()
find_path(TensorFlowC_INCLUDE_DIR tensorflow/c/c_api.h HINTS "${TensorFlowC_ROOT}/include" NO_DEFAULT_PATH)
find_file(TensorFlowC_LIBRARY libtensorflow_cc.so.2 HINTS "${TensorFlowC_ROOT}" NO_DEFAULT_PATH)
find_file(TensorFlowC_FRAMEWORK_LIBRARY libtensorflow_framework.so.2 HINTS "${TensorFlowC_ROOT}" NO_DEFAULT_PATH)
if(TensorFlowC_ROOT)
  file(GLOB _tf_dist "${TensorFlowC_ROOT}/../tensorflow*-*.dist-info")
  if(_tf_dist)
    list(GET _tf_dist 0 _tf_dist)
    string(REGEX MATCH "-([0-9.]+)\\.dist-info$" _ "${_tf_dist}")
    set(TensorFlowC_VERSION "${CMAKE_MATCH_1}")
  endif()
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(TensorFlowC
  REQUIRED_VARS TensorFlowC_LIBRARY TensorFlowC_FRAMEWORK_LIBRARY TensorFlowC_INCLUDE_DIR
  VERSION_VAR TensorFlowC_VERSION)
# The adapter opens libtensorflow_cc.so.2 itself (dlopen with RTLD_LOCAL | RTLD_DEEPBIND) instead
# of linking it: the library carries its own protobuf (and BoringSSL, sqlite3, zlib...) under the
# same unversioned names as Debian's libprotobuf.so.32, which LibTorch and OpenCV load, and a linked
# infbench crashes before main() (src/backends/tensorflow.cpp). So the target gives the headers,
# the library's path and its version, not the library.
if(TensorFlowC_FOUND AND NOT TARGET TensorFlow::CHeaders)
  add_library(TensorFlow::CHeaders INTERFACE IMPORTED)
  set_target_properties(TensorFlow::CHeaders PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${TensorFlowC_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS
      "INFBENCH_TENSORFLOW_LIBRARY=\"${TensorFlowC_LIBRARY}\";INFBENCH_TENSORFLOW_VERSION=\"${TensorFlowC_VERSION}\""
    INTERFACE_LINK_LIBRARIES "${CMAKE_DL_LIBS}")
endif()
