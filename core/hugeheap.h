/* hugeheap — run a process whose heap will be large on transparent huge pages.
 *
 * glibc's malloc asks the kernel for transparent huge pages (THP) only when
 * its tunable glibc.malloc.hugetlb=1 is set, and glibc reads tunables only
 * when a program starts. Where the kernel's THP mode is "madvise" (the
 * default of many distributions and virtual machines), a process that builds
 * a heap of hundreds of megabytes on 4 KiB pages spends a large part of its
 * time in page faults and TLB misses: on huge pages nixsim instantiates 10^5
 * derivations in about two thirds of the time, for the same output.
 *
 * Contract: hugeheap_restart(argv, heap_bytes) re-executes the running
 * program (/proc/self/exe) with the same arguments and environment, but with
 * glibc.malloc.hugetlb=1 added to GLIBC_TUNABLES, when all of these hold:
 *   - heap_bytes (the caller's estimate of its heap) >= HUGEHEAP_MIN_BYTES;
 *   - the kernel's THP mode is "madvise" (with "always" the heap gets huge
 *     pages anyway; with "never" it cannot);
 *   - GLIBC_TUNABLES does not set glibc.malloc.hugetlb already: a restarted
 *     process never restarts, and a user turns this off by setting it to 0.
 * Otherwise, or when the exec fails, it returns, the environment unchanged,
 * and the process goes on as it is. The restarted process does everything
 * again, so call it before anything visible happened: output, files, child
 * processes, threads. Standard output and error are flushed first.
 *
 * hugeheap_active() tells whether this process's heap is on huge pages (it
 * was restarted, or the user or the kernel's "always" mode put it there):
 * such a process gains nothing from faulting its heap in ahead of use
 * (xalloc_prefault_heap), which only touches memory it may never need.
 *
 * hugeheap_tunables(), hugeheap_thp_mode() and hugeheap_on() are the pure
 * parts. */
#ifndef LAZYKITE_HUGEHEAP_H
#define LAZYKITE_HUGEHEAP_H

#include <stddef.h>

/* Below this, a restart costs more than huge pages save. */
#define HUGEHEAP_MIN_BYTES ((size_t)16 << 20)

#define HUGEHEAP_TUNABLE "glibc.malloc.hugetlb"

/* The value GLIBC_TUNABLES gets for the restart, given its current value
 * (NULL when unset): the current tunables followed by
 * glibc.malloc.hugetlb=1, ':'-separated. NULL when `current` sets
 * glibc.malloc.hugetlb already (to anything). The caller frees the result. */
char *hugeheap_tunables(const char *current);

enum hugeheap_thp { HUGEHEAP_THP_UNKNOWN, HUGEHEAP_THP_ALWAYS, HUGEHEAP_THP_MADVISE,
                    HUGEHEAP_THP_NEVER };
/* The mode selected in the text of
 * /sys/kernel/mm/transparent_hugepage/enabled ("always [madvise] never"):
 * the bracketed word; UNKNOWN when there is none or it is another word. */
enum hugeheap_thp hugeheap_thp_mode(const char *text);

/* Whether malloc's heap is on huge pages, given GLIBC_TUNABLES (NULL when
 * unset) and the kernel's THP mode: with "always", every heap is; with
 * "madvise", when the tunables set glibc.malloc.hugetlb to anything but 0. */
int hugeheap_on(const char *tunables, enum hugeheap_thp mode);

void hugeheap_restart(char *const argv[], size_t heap_bytes);
/* hugeheap_on() for this process. */
int hugeheap_active(void);

#endif
