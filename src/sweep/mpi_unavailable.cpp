// Built instead of mpi_sweep.cpp when INFBENCH_WITH_MPI is OFF.
#include <cstdlib>
#include <string>
#include <utility>

#include "infbench/error.hpp"
#include "mpi_sweep.hpp"

namespace infbench {

int run_mpi_sweep(const Plan& plan, const SweepOptions& options) {
  // Without MPI the ranks cannot talk: only a job of one rank can run, as a plain sweep.
  // Sizes where the launcher says them; ranks otherwise (srun with PMIx gives only the rank).
  for (const auto& [name, single] : {std::pair{"OMPI_COMM_WORLD_SIZE", "1"},
                                     {"PMI_SIZE", "1"},
                                     {"OMPI_COMM_WORLD_RANK", "0"},
                                     {"PMI_RANK", "0"},
                                     {"PMIX_RANK", "0"}}) {
    const char* size = std::getenv(name);
    if (size != nullptr && std::string(size) != single) {
      throw Error(ErrorKind::unsupported,
                  std::string("sweep: started by an MPI launcher with ") + name + "=" + size +
                      ", but this infbench was built without MPI (INFBENCH_WITH_MPI=OFF): "
                      "install libopenmpi-dev and rebuild, or run the sweep without mpirun/srun");
    }
  }
  return run_sweep(plan, options);
}

}  // namespace infbench
