#pragma once
// A sweep across the ranks of an MPI job (`mpirun -np N infbench sweep ...`, or Slurm's srun).
// Rank 0 owns the database and hands load groups to the other ranks, longest first; each worker
// rank owns one device and runs every group in a forked `sweep-worker`, as the single-process
// sweep does. docs/sweeps.md describes device assignment and what happens when a rank dies.
#include "sweep.hpp"

namespace infbench {

// Every rank calls it with the same plan and options. Returns the exit code on rank 0 (as
// run_sweep) and 0 on the others. A build without MPI (INFBENCH_WITH_MPI=OFF) throws an Error
// when there is more than one rank, so that N copies never run the same plan into one database.
int run_mpi_sweep(const Plan& plan, const SweepOptions& options);

}  // namespace infbench
