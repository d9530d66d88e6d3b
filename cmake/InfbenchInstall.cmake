# install(EXPORT) of the library: `cmake --install build --prefix P`, then a consumer's
# find_package(infbench) (CMAKE_PREFIX_PATH=P) gives infbench::infbench (load, predict, bench;
# examples/). Included from src/ once the targets exist. The adapters are static libraries that
# link their frameworks privately, so the package config finds those frameworks again, where this
# build found them (infbenchConfig.cmake.in).
include(CMakePackageConfigHelpers)
get_property(_infbench_ids GLOBAL PROPERTY INFBENCH_FRAMEWORKS)
set(_infbench_export infbench_base infbench_lib infbench_frameworks infbench_warnings ${INFBENCH_ADAPTERS})
install(TARGETS ${_infbench_export} EXPORT infbenchTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/infbench" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(_infbench_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/infbench)
install(EXPORT infbenchTargets NAMESPACE infbench:: DESTINATION ${_infbench_cmake_dir})
# What the config must find again: the frameworks built in, with the places this build used.
set(INFBENCH_PACKAGE_FRAMEWORKS "${_infbench_ids}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/infbenchConfig.cmake.in"
                              "${PROJECT_BINARY_DIR}/infbenchConfig.cmake"
                              INSTALL_DESTINATION ${_infbench_cmake_dir})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/infbenchConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/infbenchConfig.cmake" "${PROJECT_BINARY_DIR}/infbenchConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/FindOnnxRuntime.cmake" "${PROJECT_SOURCE_DIR}/cmake/FindTensorFlowC.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/FindTVMRuntime.cmake" "${PROJECT_SOURCE_DIR}/cmake/FindPjrtCApi.cmake"
        DESTINATION ${_infbench_cmake_dir})
