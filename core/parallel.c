/* parallel — see parallel.h. */
#include "parallel.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

/* LAZYKITE_JOBS when it is a whole number from 1, else the processors this
 * process may run on (its affinity mask, which cgroup cpusets narrow too). */
static size_t cpus;
static void count_cpus(void)
{
    const char *env = getenv("LAZYKITE_JOBS");
    char *end;
    unsigned long forced = env && *env ? strtoul(env, &end, 10) : 0;
    if (forced > 0 && *end == '\0' && env[0] != '-') {
        cpus = forced;
        return;
    }
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) {
        cpus = (size_t)CPU_COUNT(&set);
        return;
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    cpus = online > 0 ? (size_t)online : 1;
}

size_t parallel_cpus(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, count_cpus);
    return cpus;
}

size_t parallel_jobs(size_t n, size_t min_per_job)
{
    size_t jobs = min_per_job ? n / min_per_job : n;
    if (jobs > parallel_cpus())
        jobs = parallel_cpus();
    if (jobs > PARALLEL_MAX_JOBS)
        jobs = PARALLEL_MAX_JOBS;
    return jobs ? jobs : 1;
}

struct range {
    void (*fn)(void *ctx, size_t job, size_t from, size_t to);
    void *ctx;
    size_t job, from, to;
};

static void *run_range(void *arg)
{
    struct range *r = arg;
    r->fn(r->ctx, r->job, r->from, r->to);
    return NULL;
}

void parallel_run(size_t n, size_t n_jobs, void (*fn)(void *ctx, size_t job, size_t from, size_t to),
                  void *ctx)
{
    if (n_jobs < 1)
        n_jobs = 1;
    if (n_jobs > PARALLEL_MAX_JOBS)
        n_jobs = PARALLEL_MAX_JOBS;
    struct range ranges[PARALLEL_MAX_JOBS];
    pthread_t threads[PARALLEL_MAX_JOBS];
    bool started[PARALLEL_MAX_JOBS] = { false };
    for (size_t j = 0; j < n_jobs; j++)
        ranges[j] = (struct range){ fn, ctx, j, n * j / n_jobs, n * (j + 1) / n_jobs };
    for (size_t j = 1; j < n_jobs; j++)
        started[j] = pthread_create(&threads[j], NULL, run_range, &ranges[j]) == 0;
    run_range(&ranges[0]);
    for (size_t j = 1; j < n_jobs; j++) {
        if (started[j])
            pthread_join(threads[j], NULL);
        else
            run_range(&ranges[j]);
    }
}

static void *run_background(void *arg)
{
    struct background *b = arg;
    b->fn(b->arg);
    return NULL;
}

void background_start(struct background *b, void (*fn)(void *arg), void *arg)
{
    b->fn = fn;
    b->arg = arg;
    b->running = parallel_cpus() > 1 && pthread_create(&b->thread, NULL, run_background, b) == 0;
    if (!b->running)
        fn(arg);
}

void background_wait(struct background *b)
{
    if (b->running)
        pthread_join(b->thread, NULL);
    b->running = 0;
}
