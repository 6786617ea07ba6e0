/* parallel — run independent work on contiguous ranges of [0, n) at once,
 * one thread per range, on the processors the machine has.
 *
 * Contract: parallel_cpus() is the number of processors to use: the
 * environment's LAZYKITE_JOBS (a whole number from 1) when set, else the
 * processors in this process's affinity mask. parallel_jobs() says into how
 * many ranges [0, n) is split: at most one per processor to use
 * (PARALLEL_MAX_JOBS at most), and no range smaller than `min_per_job`
 * items (so small inputs run on the calling thread alone). The output of
 * every user does not depend on it. parallel_run() calls fn(ctx, job, from, to) once per
 * range, job = 0 .. n_jobs-1 in range order, range `job` being
 * [n*job/n_jobs, n*(job+1)/n_jobs); job 0 runs on the calling thread, and
 * a range whose thread cannot be started runs there too. It returns when
 * every call has returned. `fn` must be safe to run concurrently with
 * itself on different ranges; results go into per-job state in `ctx`.
 * A `struct background` runs one function beside the calling thread. */
#ifndef LAZYKITE_PARALLEL_H
#define LAZYKITE_PARALLEL_H

#include <pthread.h>
#include <stddef.h>

#define PARALLEL_MAX_JOBS 8

size_t parallel_cpus(void);
size_t parallel_jobs(size_t n, size_t min_per_job);
void parallel_run(size_t n, size_t n_jobs, void (*fn)(void *ctx, size_t job, size_t from, size_t to),
                  void *ctx);

/* One piece of work running beside the calling thread: background_start()
 * runs fn(arg) on a thread of its own (or at once on the calling thread,
 * when there is one processor to use or no thread can be started); background_wait() returns when it is done.
 * A started background must be waited for before it is started again. */
struct background {
    void (*fn)(void *arg);
    void *arg;
    int running;        /* a thread runs it */
    pthread_t thread;
};
void background_start(struct background *b, void (*fn)(void *arg), void *arg);
void background_wait(struct background *b);

#endif
