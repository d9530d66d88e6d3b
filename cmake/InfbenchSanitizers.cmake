# Sanitizer and fuzzing builds (docs/hardening.md). Each goes into a build folder of its own
# (build-asan, build-tsan, build-fuzz): instrumented objects must never mix with plain ones.
#
#   INFBENCH_SANITIZE=address,undefined  ASan + UBSan (GCC or Clang)
#   INFBENCH_SANITIZE=thread             TSan (GCC or Clang)
#   INFBENCH_BUILD_FUZZERS=ON            libFuzzer targets in fuzz/ (Clang only)
#
# Every report is fatal (-fno-sanitize-recover=all, and halt_on_error in the run-time options
# that scripts/test.sh sets): a sanitizer build's tests pass only with zero reports.
# INFBENCH_SANITIZER_LABEL (asan, tsan) is the CTest label of the tests chosen to run under it.
set(INFBENCH_SANITIZE "" CACHE STRING "Sanitizers for every target: address,undefined | thread | empty")
set_property(CACHE INFBENCH_SANITIZE PROPERTY STRINGS "" "address,undefined" "address" "undefined" "thread")
option(INFBENCH_BUILD_FUZZERS "Build the libFuzzer targets in fuzz/ (needs Clang, e.g. clang++-16)" OFF)

set(INFBENCH_SANITIZER_LABEL "")
if(INFBENCH_SANITIZE)
  if(NOT INFBENCH_SANITIZE MATCHES "^(address,undefined|address|undefined|thread)$")
    message(FATAL_ERROR "INFBENCH_SANITIZE='${INFBENCH_SANITIZE}' is not one of: address,undefined, "
                        "address, undefined, thread")
  endif()
  # -g1: line tables for the reports' stack traces at a fraction of full debug info's build time.
  add_compile_options(-fsanitize=${INFBENCH_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g1)
  add_link_options(-fsanitize=${INFBENCH_SANITIZE})
  # GCC's flow analysis sees the sanitizers' checks as paths that leave values unset: false
  # -Wmaybe-uninitialized in libstdc++'s <regex> and <functional> (GCC documents the interaction).
  add_compile_options($<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
  if(INFBENCH_SANITIZE STREQUAL "thread")
    set(INFBENCH_SANITIZER_LABEL tsan)
  else()
    set(INFBENCH_SANITIZER_LABEL asan)
  endif()
endif()

if(INFBENCH_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "INFBENCH_BUILD_FUZZERS needs Clang (libFuzzer); configure with "
                        "-DCMAKE_CXX_COMPILER=clang++-16 (Debian clang-16, libclang-rt-16-dev)")
  endif()
  # Coverage feedback comes from the readers' objects: fuzz/CMakeLists.txt instruments the fuzz
  # targets' own sources and infbench_base (.npy, ONNX signature); the rest of the build (the
  # asan tests share this folder in scripts/test.sh) compiles without it.
endif()
