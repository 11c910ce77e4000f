// openmp_env: every edgepipe process runs oneDNN on libgomp with waiting
// threads that sleep instead of spinning (OMP_WAIT_POLICY=PASSIVE).
//
// libgomp's default lets a thread that reaches a barrier spin for up to
// ~300k iterations before it sleeps. When the cores are shared (two stage
// nodes on one 2-core machine, a board that runs other work), a spinning
// thread burns the time slice its partner needs to reach the barrier: a
// 2-thread stage then ran 5-20x slower than its share of the machine
// (bench/shared_cores.sh). Passive waiting keeps it near its share; on idle
// cores it costs a futex wake per primitive, small next to the collapse.
//
// libgomp reads its environment once, when the library is loaded, before
// main(): setting it later has no effect. So a process that does not have
// the variables re-executes itself with them set (same pid, same argv).
#pragma once

namespace edgepipe::cli {

// If neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set (a user's choice
// wins), sets OMP_WAIT_POLICY=PASSIVE and re-executes this program with
// `argv`; returns only when nothing needs doing or the exec failed.
void ensure_openmp_env(char** argv);

} // namespace edgepipe::cli
