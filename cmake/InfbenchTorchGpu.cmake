# What the LibTorch that was found can do on a GPU. Included after the LIBTORCH option.
#  * INFBENCH_LIBTORCH_CUDA (result, not an option): the found LibTorch was built with CUDA, so the
#    torch adapters get their GPU half backends/torch_cuda.cpp; otherwise backends/torch_no_cuda.cpp
#    (Debian's LibTorch 1.13 is CPU-only: the CPU build keeps working and has no GPU path). The
#    half is compiled into the libtorch adapter; aotinductor links that adapter for it.
#  * INFBENCH_WITH_AOTINDUCTOR (the aotinductor framework's option): ON by default when LibTorch
#    >= 2.6 ships torch::inductor::AOTIModelPackageLoader (e.g. PyTorch's own LibTorch:
#    CMAKE_PREFIX_PATH=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')).
set(INFBENCH_LIBTORCH_CUDA OFF)
set(_infbench_aoti_found OFF)
if(INFBENCH_WITH_LIBTORCH)
  if(TORCH_CUDA_LIBRARIES OR TARGET torch_cuda)
    set(INFBENCH_LIBTORCH_CUDA ON)
    set_property(GLOBAL APPEND PROPERTY INFBENCH_FRAMEWORK_LIBTORCH_SOURCES backends/torch_cuda.cpp)
  else()
    set_property(GLOBAL APPEND PROPERTY INFBENCH_FRAMEWORK_LIBTORCH_SOURCES backends/torch_no_cuda.cpp)
  endif()
  if(Torch_VERSION VERSION_GREATER_EQUAL 2.6)
    find_path(INFBENCH_AOTI_INCLUDE_DIR torch/csrc/inductor/aoti_package/model_package_loader.h
              HINTS ${TORCH_INCLUDE_DIRS} NO_DEFAULT_PATH)
    if(INFBENCH_AOTI_INCLUDE_DIR)
      set(_infbench_aoti_found ON)
    endif()
  endif()
endif()
option(INFBENCH_WITH_AOTINDUCTOR "Build the AOTInductor (.pt2 package) adapter" ${_infbench_aoti_found})
if(INFBENCH_WITH_AOTINDUCTOR AND NOT _infbench_aoti_found)
  message(FATAL_ERROR "INFBENCH_WITH_AOTINDUCTOR=ON needs LibTorch >= 2.6 with AOTIModelPackageLoader "
                      "(found Torch ${Torch_VERSION}): set CMAKE_PREFIX_PATH to "
                      "python3 -c 'import torch;print(torch.utils.cmake_prefix_path)', or turn it OFF")
endif()
