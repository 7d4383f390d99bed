/* cmd.h -- the commands of qvrrun, one cli/cmd_<name>.c each: argv holds
 * the arguments after the command's name, the return value is the process
 * exit code (README.md, "Exit codes"). `qvrrun help CMD` is `CMD --help`. */
#ifndef QVR_CMD_H
#define QVR_CMD_H

/* `qvrrun compare BASE_DIR NEW_DIR [--tolerance 10%] [--error-tolerance
 * 1pp]`: 0 no regression, 99 NEW worse than BASE beyond the tolerance, 2 a
 * bad flag or directory (one line naming it), 3 an unreadable or corrupt
 * summary.json (naming it). */
int qvr_cmd_compare(int argc, char **argv);

/* `qvrrun merge -o OUT DIR... [--no-plots] [--quiet] [--csv PREFIX]
 * [--junit FILE]`: 0 every threshold held on the merged run, 99 one
 * failed, 2 a bad flag or segments that do not belong together (one line
 * naming the directory), 3 an unreadable or corrupt file (naming it) or a
 * failed write. */
int qvr_cmd_merge(int argc, char **argv);

/* `qvrrun report RESULT_DIR [--csv PREFIX] [--junit FILE] [--no-plots]
 * [--quiet]`: 0, 2 for a bad flag or a missing directory (one line naming
 * it), 3 for an unreadable or corrupt file (naming it) or a failed
 * write. */
int qvr_cmd_report(int argc, char **argv);

/* `qvrrun monitor SCENARIO.lua|URL|mock [flags]` (docs/monitor.md): the
 * flags, then qvr_monitor_main; --help exits 0, a bad flag 2 (one line
 * naming it). qvr_http_global_init must have run. */
int qvr_cmd_monitor(int argc, char **argv);

/* `qvrrun mock [flags]`: the built-in simulated reranker in the
 * foreground (docs/mock.md): 0 after SIGINT/SIGTERM or --help, 2 a bad flag
 * (one line naming it), 3 the address cannot be bound. */
int qvr_cmd_mock(int argc, char **argv);

/* `qvrrun call URL|SCENARIO [flags]`: sends one request and prints its
 * status, timings, response headers and body. 0 when an answer came (any
 * status), 2 a bad flag or scenario, 3 no answer (refused, timeout...). */
int qvr_cmd_call(int argc, char **argv);

#endif
