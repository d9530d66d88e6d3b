# infbench_framework(ID [PACKAGE pkg [COMPONENTS c...] [HINTS dir...]] [DESCRIPTION text]
#                    [SOURCES file...] [LINK target...] [DEFINES def...])
# One call per framework, at the root: it declares the option INFBENCH_WITH_<ID>, finds the
# package, and records the adapter (SOURCES, relative to src/) with what it links. src/ builds
# every recorded adapter (infbench_build_adapters) and publishes INFBENCH_WITH_<ID> on the
# interface target infbench::frameworks, used by the library, the tests and the bench.
#  * Default of the option: ON when a quiet find_package succeeds; set it ON explicitly to make a missing framework a configure error.
#  * Without PACKAGE the option must already exist (e.g. AOTInductor, decided from LibTorch).
#  * A macro, not a function: find_package's variables (Torch_VERSION, ...) stay visible.
macro(infbench_framework id)
  cmake_parse_arguments(_ibf "" "PACKAGE;DESCRIPTION" "COMPONENTS;HINTS;SOURCES;LINK;DEFINES" ${ARGN})
  set(_ibf_find_args)
  if(_ibf_COMPONENTS)
    list(APPEND _ibf_find_args COMPONENTS ${_ibf_COMPONENTS})
  endif()
  if(_ibf_HINTS)
    list(APPEND _ibf_find_args HINTS ${_ibf_HINTS})
  endif()
  if(_ibf_PACKAGE)
    if(NOT DEFINED INFBENCH_WITH_${id})
      find_package(${_ibf_PACKAGE} QUIET ${_ibf_find_args})
      set(_ibf_default OFF)
      if(${_ibf_PACKAGE}_FOUND)
        set(_ibf_default ON)
      endif()
      option(INFBENCH_WITH_${id} "Build the ${_ibf_DESCRIPTION} adapter" ${_ibf_default})
    endif()
    if(INFBENCH_WITH_${id})
      find_package(${_ibf_PACKAGE} REQUIRED ${_ibf_find_args})
    endif()
  elseif(NOT DEFINED INFBENCH_WITH_${id})
    message(FATAL_ERROR "infbench_framework(${id}): no PACKAGE and no option INFBENCH_WITH_${id}")
  endif()
  if(INFBENCH_WITH_${id})
    set_property(GLOBAL APPEND PROPERTY INFBENCH_FRAMEWORKS ${id})
    set_property(GLOBAL PROPERTY INFBENCH_FRAMEWORK_${id}_SOURCES ${_ibf_SOURCES})
    set_property(GLOBAL PROPERTY INFBENCH_FRAMEWORK_${id}_LINK ${_ibf_LINK})
    set_property(GLOBAL PROPERTY INFBENCH_FRAMEWORK_${id}_DEFINES ${_ibf_DEFINES})
  endif()
endmacro()

# Called in src/ once infbench_base exists: one static library per adapter (the framework links
# privately to it alone) and the interface target that says which frameworks are in.
function(infbench_build_adapters out_var)
  add_library(infbench_frameworks INTERFACE)
  add_library(infbench::frameworks ALIAS infbench_frameworks)
  get_property(ids GLOBAL PROPERTY INFBENCH_FRAMEWORKS)
  set(adapters "")
  foreach(id IN LISTS ids)
    target_compile_definitions(infbench_frameworks INTERFACE INFBENCH_WITH_${id})
    get_property(sources GLOBAL PROPERTY INFBENCH_FRAMEWORK_${id}_SOURCES)
    if(NOT sources)
      continue()  # an ability (CUDA staging), not an adapter
    endif()
    get_property(links GLOBAL PROPERTY INFBENCH_FRAMEWORK_${id}_LINK)
    get_property(defines GLOBAL PROPERTY INFBENCH_FRAMEWORK_${id}_DEFINES)
    string(TOLOWER ${id} name)
    add_library(infbench_backend_${name} STATIC ${sources})
    target_link_libraries(infbench_backend_${name} PUBLIC infbench_base PRIVATE infbench_warnings ${links})
    target_compile_definitions(infbench_backend_${name} PRIVATE ${defines})
    list(APPEND adapters infbench_backend_${name})
  endforeach()
  set(${out_var} ${adapters} PARENT_SCOPE)
endfunction()
