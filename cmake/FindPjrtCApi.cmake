# Finds the PJRT C API header (xla/pjrt/c/pjrt_c_api.h), which the TensorFlow wheel ships in its
# include folder (scripts/setup.sh installs it into .deps/venv), and XLA's CPU PJRT plugin
# (PyPI lammps-jax-pjrt-cpu, installed into .deps/venv-xla). Header only: the adapter opens a
# plugin with dlopen at run time, so nothing is linked.
#   PJRT_C_API_INCLUDE_DIR   folder holding xla/pjrt/c/pjrt_c_api.h (override it where no
#                            TensorFlow wheel is installed, e.g. a header carried to the GPU machine)
#   PJRT_CPU_PLUGIN          the CPU plugin .so (optional: without it device -1 needs plugin=)
#   PJRT_CUDA_PLUGIN         jax's CUDA 13 plugin, if the Python 3 on PATH has it (optional; the
#                            adapter also searches site-packages at run time)
# Provides the imported target Pjrt::CApi.
set(_pjrt_site ${INFBENCH_SITE_PACKAGES})
file(GLOB _pjrt_xla_site "${PROJECT_SOURCE_DIR}/.deps/venv-xla/lib/python3*/site-packages")
find_path(PJRT_C_API_INCLUDE_DIR xla/pjrt/c/pjrt_c_api.h
  HINTS ${PJRT_C_API_INCLUDE_DIR} PATH_SUFFIXES tensorflow/include
  PATHS ${_pjrt_site} NO_DEFAULT_PATH)
find_file(PJRT_CPU_PLUGIN pjrt_c_api_cpu_plugin.so
  PATHS ${_pjrt_xla_site} PATH_SUFFIXES lammps_jax_pjrt_cpu NO_DEFAULT_PATH)
set(PJRT_CPU_PLUGIN_VERSION "")
if(PJRT_CPU_PLUGIN)
  get_filename_component(_pjrt_dir "${PJRT_CPU_PLUGIN}" DIRECTORY)
  file(GLOB _pjrt_dist "${_pjrt_dir}/../lammps_jax_pjrt_cpu-*.dist-info")
  if(_pjrt_dist)
    list(GET _pjrt_dist 0 _pjrt_dist)
    string(REGEX MATCH "-([0-9.]+)\\.dist-info$" _ "${_pjrt_dist}")
    set(PJRT_CPU_PLUGIN_VERSION "lammps-jax-pjrt-cpu ${CMAKE_MATCH_1}")
  endif()
endif()
if(NOT DEFINED PJRT_CUDA_PLUGIN)
  set(PJRT_CUDA_PLUGIN "")
  find_program(_pjrt_python python3)
  if(_pjrt_python)
    execute_process(COMMAND ${_pjrt_python} -c
      "import importlib.util as u, os; s = u.find_spec('jax_plugins.xla_cuda13'); print(os.path.join(os.path.dirname(s.origin), 'xla_cuda_plugin.so'))"
      OUTPUT_VARIABLE _pjrt_cuda OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _pjrt_rc)
    if(_pjrt_rc EQUAL 0 AND EXISTS "${_pjrt_cuda}")
      set(PJRT_CUDA_PLUGIN "${_pjrt_cuda}")
    endif()
  endif()
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(PjrtCApi REQUIRED_VARS PJRT_C_API_INCLUDE_DIR)
if(PjrtCApi_FOUND AND NOT TARGET Pjrt::CApi)
  if(NOT PJRT_CPU_PLUGIN)
    message(STATUS "PJRT: no CPU plugin (.deps/venv-xla, scripts/setup.sh): xla runs device -1 only with plugin=")
    set(PJRT_CPU_PLUGIN "")
  endif()
  add_library(Pjrt::CApi INTERFACE IMPORTED)
  set_target_properties(Pjrt::CApi PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${PJRT_C_API_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS
      "INFBENCH_XLA_CPU_PLUGIN=\"${PJRT_CPU_PLUGIN}\";INFBENCH_XLA_CPU_PLUGIN_VERSION=\"${PJRT_CPU_PLUGIN_VERSION}\";INFBENCH_XLA_CUDA_PLUGIN=\"${PJRT_CUDA_PLUGIN}\""
    INTERFACE_LINK_LIBRARIES "${CMAKE_DL_LIBS}"
    # The header declares each PJRT_Api member with the name of its function type
    # (`PJRT_Client_Create* PJRT_Client_Create;`), valid C that g++ refuses in C++ ("changes
    # meaning", a permissive error; clang accepts it). -fpermissive makes it a warning, which
    # g++ does not report in a system header (imported include folders are system ones).
    INTERFACE_COMPILE_OPTIONS "$<$<CXX_COMPILER_ID:GNU>:-fpermissive>")
endif()
