#pragma once
// Scheduling an MPI sweep without MPI itself: whether MPI launched this process, the order in which
// load groups are handed out (longest first), and which device each worker rank owns.
#include <map>
#include <string>
#include <vector>

#include "plan.hpp"
#include "store/database.hpp"

namespace infbench {

// True when an MPI launcher started this process: Open MPI's mpirun (OMPI_COMM_WORLD_SIZE), a
// PMI-1/2 or PMIx launcher such as Slurm's srun (PMI_SIZE, PMIX_RANK), or MPICH's Hydra
// (PMI_RANK). Slurm's own SLURM_* variables are not used: they are also set inside a batch
// script that runs a plain, single-process sweep.
bool launched_by_mpi();

// Why this process must not run a sweep, or empty: Slurm started it as one of several tasks of a
// step (SLURM_STEP_NUM_TASKS > 1) but without an MPI plugin (`srun --mpi=none`, or pmi2 where the
// MPI library has no PMI-2 client, as Debian's Open MPI), so no launcher variable is set and
// every task would run the whole plan into the same database. A batch script has no
// SLURM_STEP_NUM_TASKS and runs a plain sweep.
std::string srun_without_mpi_problem();

// Seconds a load group is expected to take, for ordering only. A point measured before (same id,
// any run of the database, status ok) counts as long as it took then (warm-up + measured phase,
// plus the group's load time); otherwise: repeat x max(min_duration_s, min_queries x
// batch_size x 1 ms per MiB of model file) + warmup_s + 0.2 s, and the load as 1 s + 20 ms per MiB.
// The 1 ms per sample per MiB is a rough CPU figure: only the relative sizes matter.
double estimated_seconds(const LoadGroup& group,
                         const std::map<std::string, MeasuredCost>& measured);

// The load groups that still have points to run (points in `done` dropped), longest first.
std::vector<LoadGroup> longest_first(const Plan& plan, const std::set<std::string>& done,
                                     const std::map<std::string, MeasuredCost>& measured);

// The CPU cores of worker rank `index` of `count` on a node whose ranks may run on `node_cores`:
// contiguous, disjoint, as even as possible. With fewer cores than ranks it returns one core that
// another rank also gets, and sets `shared`.
std::vector<int> cores_for_rank(const std::vector<int>& node_cores, int index, int count,
                                bool& shared);

// GPUs this process may use: the entries of CUDA_VISIBLE_DEVICES when it is set, otherwise the
// /dev/nvidiaN device files (no CUDA or NVML needed to count them).
int visible_gpu_count();

// "0-3,8" for {0,1,2,3,8}.
std::string core_list_text(const std::vector<int>& cores);

}  // namespace infbench
