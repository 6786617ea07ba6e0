/* progress — see progress.h. */
#include "harness/progress.h"

#include <string.h>
#include <time.h>

#include "clock.h"

void progress_init(struct progress *p, FILE *to, bool tty)
{
    memset(p, 0, sizeof(*p));
    p->to = to;
    p->tty = tty;
    p->t0 = lk_clock_seconds();
}

void progress_header(FILE *to)
{
    fprintf(to, "%-52s %-26s %-8s %8s  %s\n", "STEP", "OUTCOME", "AGENT", "SECONDS", "BUILT");
}

void progress_format_row(FILE *to, const char *name, bool in_group, enum bk_outcome outcome,
                         const char *agent, double seconds, const char *built, char *const *not_simulated,
                         size_t n_not_simulated)
{
    char label[64];
    int room = in_group ? 47 : 49;
    snprintf(label, sizeof label, "%s%.*s%s", in_group ? "  " : "", room, name,
             strlen(name) > (size_t)room ? "..." : "");
    char secs[32] = "-";
    if (seconds >= 0)
        snprintf(secs, sizeof secs, "%.2f", seconds);
    fprintf(to, "%-52s %-26s %-8s %8s  %s\n", label, bk_outcome_name(outcome), agent ? agent : "-", secs,
            built ? built : "");
    if (n_not_simulated) {
        fprintf(to, "%snot simulated: ", in_group ? "      " : "    ");
        for (size_t k = 0; k < n_not_simulated; k++)
            fprintf(to, "%s%s", k ? ", " : "", not_simulated[k]);
        fputc('\n', to);
    }
}

static void erase_status(struct progress *p)
{
    if (p->status_shown)
        fputs("\r\033[K", p->to);
    p->status_shown = false;
}

void progress_row(struct progress *p, const char *name, bool in_group, enum bk_outcome outcome,
                  const char *agent, double seconds, const char *built, char *const *not_simulated,
                  size_t n_not_simulated)
{
    erase_status(p);
    if (!p->header_done)
        progress_header(p->to);
    p->header_done = true;
    progress_format_row(p->to, name, in_group, outcome, agent, seconds, built, not_simulated, n_not_simulated);
    fflush(p->to);
}

void progress_status(struct progress *p, size_t done, size_t running, size_t waiting)
{
    if (!p->tty)
        return;
    erase_status(p);
    fprintf(p->to, "[%zu done, %zu running, %zu waiting, %.1f s]", done, running, waiting, lk_clock_seconds() - p->t0);
    fflush(p->to);
    p->status_shown = true;
}

void progress_done(struct progress *p)
{
    erase_status(p);
    fflush(p->to);
}
