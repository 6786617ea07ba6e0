/* program — find the executable a program name stands for, as
 * posix_spawnp()/execvp() would.
 *
 * Contract: program_find() returns 0 and the program's path in *found (the
 * caller frees) when `prog` — a path (it contains '/'), or a name looked up
 * in each entry of this process's PATH in order (an empty entry is the
 * current directory; "/usr/bin:/bin" when PATH is unset) — is an
 * executable regular file; otherwise the errno that says why not (ENOENT
 * when no entry has it; the last other error met, e.g. EACCES, takes
 * precedence). Looking a program up first lets a caller report a missing
 * program itself: posix_spawn does not report exec failures everywhere
 * (under valgrind they show only as exit status 127). */
#ifndef LAZYKITE_PROGRAM_H
#define LAZYKITE_PROGRAM_H

int program_find(const char *prog, char **found);

#endif
