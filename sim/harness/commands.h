/* commands — the `run` and `check` subcommands of lazykite-sim.
 *
 * Contract: each takes the subcommand's argv (argv[0] is its name), prints
 * its output on stdout, errors as one line `lazykite-sim: FILE: PLACE: what`
 * on stderr, and returns the exit status: 0 every expectation met, 1 a
 * violation or unmet expectation (or a system failure), 2 bad input or usage,
 * 128+N when signal N (SIGINT, SIGTERM, SIGHUP; one the caller ignores stays
 * ignored) stopped it: the build's sandboxes are killed and waited for and
 * the work directory removed (unless --keep) before it returns.
 *   run FIXTURE [--generator CMD | --generation-step CMD] [--agents N]
 *       [--unblock all|none|GLOB] [--branch REF] [--gc-drvs] [--report FILE]
 *       [--html FILE] [--markdown FILE] [--keep DIR] [--nix sim]
 *       (each described in run_help, the text of `run -h`; the HTML page
 *       and the Markdown summary are htmlreport.h's and mdreport.h's)
 *   check [FIXTURE...]     (default: <source root>/fixtures/ *.yaml) */
#ifndef LAZYKITE_SIM_COMMANDS_H
#define LAZYKITE_SIM_COMMANDS_H

int sim_cmd_run(int argc, char **argv);
int sim_cmd_check(int argc, char **argv);

#endif
