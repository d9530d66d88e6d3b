# Precompiled headers: the third-party headers that most of our files include (nlohmann/json, fmt,
# CLI11, yaml-cpp, GoogleTest) are parsed once per target instead of once per file, which is most
# of what the sanitizer builds of scripts/test.sh spend on 2 cores (they turn it on, with clang).
# Off by default: the normal build then compiles every file with its own #includes only (a
# missing one fails there), and GCC 12 at -O3 reports false -Wstringop-overflow in libstdc++'s
# string code inlined through a PCH (seen in backends/fake.cpp), which -Werror turns into errors.
option(INFBENCH_PCH "Precompiled third-party headers (faster builds; the sanitizer builds use it)" OFF)

# infbench_precompile_headers(): called once every target exists (the root CMakeLists.txt).
function(infbench_precompile_headers)
  if(NOT INFBENCH_PCH)
    return()
  endif()
  set(common <nlohmann/json.hpp> <fmt/core.h> <filesystem> <functional> <map> <string> <vector>)
  foreach(target infbench_lib infbench_sweep infbench_tune)
    if(TARGET ${target})
      target_precompile_headers(${target} PRIVATE ${common} <yaml-cpp/yaml.h>)
    endif()
  endforeach()
  if(TARGET infbench)
    target_precompile_headers(infbench PRIVATE ${common} <CLI/CLI.hpp>)
  endif()
  if(NOT (INFBENCH_BUILD_TESTS AND INFBENCH_BUILD_CLI))  # as the root adds tests/
    return()
  endif()
  set(dirs "${PROJECT_SOURCE_DIR}/tests")
  while(dirs)
    list(POP_FRONT dirs dir)
    get_property(sub DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
    list(APPEND dirs ${sub})
    get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
    foreach(target IN LISTS targets)
      get_target_property(type ${target} TYPE)
      if(type STREQUAL "EXECUTABLE")
        target_precompile_headers(${target} PRIVATE ${common} <gtest/gtest.h>)
      endif()
    endforeach()
  endwhile()
endfunction()
