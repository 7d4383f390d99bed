/* collect.h -- what happens on the target while the load runs: host CPU
 * and memory, GPU utilisation and memory, gauges scraped from the
 * target's Prometheus endpoint, and server timing headers of the answers
 * (scenario key `collect = {host=, gpu=, prometheus=, headers={...}}`).
 *
 * Everything runs on the caller's event base and nothing blocks it: /proc
 * is read once a second; nvidia-smi runs as a child process whose output
 * is read through an event on a pipe (a child that hangs is killed after
 * 5 s); the Prometheus endpoint is fetched with libevent's HTTP client.
 *
 * The samples are folded into rows, one per results window
 * (qvr_collect_window), which become extra columns of timeseries.csv
 * (qvr_collect_columns, qvr_collect_row); a cell is empty when nothing was
 * known for that window. Columns, in this order:
 *
 *   cpu_pct, mem_avail_mb                  collect.host
 *   gpu_util_pct, gpu_mem_mb, gpu_mem_total_mb   collect.gpu (mean of GPUs'
 *                                          utilisation, sum of memory)
 *   <header>  e.g. x_queue_ms, x_infer_ms  collect.headers: window mean of
 *                                          the header's numeric value
 *   then, in the order first seen (mixed):
 *   st_<metric>_ms                         Server-Timing metrics (dur=)
 *   prom_<gauge>                           the target's gauges, summed over
 *                                          label sets
 *
 * Memory: fixed-size tables, and the rows: one per window of
 * 33 floats, like run.c's own rows (which timeseries.csv is written from
 * at the end); at most QVR_COLLECT_MAX_HEADERS header and Server-Timing
 * columns and QVR_COLLECT_MAX_PROM gauge columns. */
#ifndef QVR_COLLECT_H
#define QVR_COLLECT_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct qvr_collect;
struct qvr_expo;
struct qvr_plan;
struct qvr_window_row;

#define QVR_COLLECT_MAX_HEADERS 16
#define QVR_COLLECT_MAX_PROM 12
#define QVR_COLLECT_PERIOD_NS 1000000000ULL

/* The latest known values; NaN where unknown. */
struct qvr_collect_sample {
    double cpu_pct;      /* host CPU busy, % of all CPUs */
    double mem_avail_mb; /* MemAvailable */
    double gpu_util_pct; /* mean utilisation of the GPUs */
    double gpu_mem_mb;   /* memory used, all GPUs */
    double gpu_mem_total_mb;
};

/* 1 when the plan asks for host, GPU or Prometheus samples, or lists
 * headers. (Server-Timing is parsed whenever qvr_collect_header is fed, so
 * a collector is useful even when this says 0.) */
int qvr_collect_wanted(const struct qvr_plan *plan);

/* Creates a collector on base for plan's collect settings (borrowed only
 * during the call): starts the once-a-second sampling when host, gpu or
 * prometheus is set (the first /proc reading at once). A GPU command that
 * is not found on PATH is one note "GPU samples skipped: CMD not found"
 * and GPU sampling is off. The caller frees with qvr_collect_free before
 * freeing base. NULL with a one-line reason in err: a prometheus URL that
 * is not http://HOST[:PORT][/PATH], or out of memory. */
struct qvr_collect *qvr_collect_new(struct event_base *base,
                                    const struct qvr_plan *plan, char *err,
                                    unsigned long errlen);

/* Stops sampling, kills (SIGKILL) and reaps a GPU command still running,
 * and frees c. NULL is a no-op. */
void qvr_collect_free(struct qvr_collect *c);

/* From now on, qvr_collect_header may be called from other threads than
 * the one running base (--threads: the workers feed the answers' headers,
 * the main thread samples and closes the windows); a mutex then guards the
 * columns. Call before those threads start. */
void qvr_collect_share(struct qvr_collect *c);

/* Takes one sample of everything configured now (as the timer does). */
void qvr_collect_tick(struct qvr_collect *c);

/* Records the timing headers of one answer: raw is the header block
 * ("Name: value" lines, CRLF or LF), len its length. Headers named in
 * collect.headers (case-insensitive) add their leading number; a
 * Server-Timing header adds each metric's dur. */
void qvr_collect_header(struct qvr_collect *c, const char *raw, size_t len);

/* Closes the current window: stores one row (the means of the window's
 * samples, or the last known value when the window had none) and starts
 * the next. Returns the row's index (0, 1, ...) or QVR_ENOMEM. Call it
 * once per timeseries.csv row, in the same order. */
int qvr_collect_window(struct qvr_collect *c);

/* Rows stored so far. */
int qvr_collect_nrows(const struct qvr_collect *c);

/* Writes the extra header fields, each preceded by a comma
 * (",cpu_pct,mem_avail_mb,..."), NUL-terminated, into buf. Returns the
 * length, or QVR_ERANGE when len is too small (buf then holds a
 * truncated string). An empty string when nothing is collected. */
int qvr_collect_columns(const struct qvr_collect *c, char *buf, size_t len);

/* Writes row's cells in the order of qvr_collect_columns, each preceded by
 * a comma (",37.5,1024,,..."), into buf. Same returns; QVR_EINVAL for a
 * row that does not exist. */
int qvr_collect_row(const struct qvr_collect *c, int row, char *buf,
                    size_t len);

/* The latest values (not a window's mean). */
void qvr_collect_latest(const struct qvr_collect *c,
                        struct qvr_collect_sample *out);

/* The latest values as JSON members for a history line
 * ("\"cpu_pct\":12.5,\"gpu_util_pct\":37"), only the known ones, into buf.
 * Returns the length (0: nothing known) or QVR_ERANGE. */
int qvr_collect_json(const struct qvr_collect *c, char *buf, size_t len);

/* Publishes the latest values as gauges on e: qvrrun_host_cpu_percent,
 * qvrrun_host_memory_available_bytes, qvrrun_gpu_utilization_percent,
 * qvrrun_gpu_memory_used_bytes, qvrrun_target_header_seconds{header}
 * (mean of the last closed window, in seconds) and
 * qvrrun_target_gauge{name}. Returns 0 or the first qvr_expo_value error. */
int qvr_collect_expo(const struct qvr_collect *c, struct qvr_expo *e);

/* Findings of the run in words, from the collected rows beside the run's
 * windows (rows[i] and collect row i must be the same window): "GPU idle
 * while P99 rises", "CPU saturated while throughput is flat", "answers
 * spent most of their time queued". Writes up to max sentences (each
 * malloc'ed; the caller frees them) into out and returns their number. */
int qvr_collect_findings(const struct qvr_collect *c,
                         const struct qvr_window_row *rows, int nrows,
                         char **out, int max);

/* ---- parsers, pure (exposed for tests) ---- */

/* The aggregate "cpu" line of /proc/stat: busy (all but idle and iowait)
 * and total jiffies. Returns 0 or QVR_EINVAL. */
int qvr_collect_parse_stat(const char *text, uint64_t *busy, uint64_t *total);

/* MemAvailable of /proc/meminfo in MB (MiB). Returns 0 or QVR_EINVAL. */
int qvr_collect_parse_meminfo(const char *text, double *avail_mb);

/* nvidia-smi --query-gpu=utilization.gpu,memory.used,memory.total
 * --format=csv,noheader,nounits output, one line per GPU: the mean
 * utilisation and the summed memory (MiB). Returns the number of GPUs
 * parsed, or QVR_EINVAL when no line parses (e.g. "[N/A]" or an error
 * message). */
int qvr_collect_parse_gpu(const char *text, double *util_pct,
                          double *mem_used_mb, double *mem_total_mb);

/* One gauge family of a Prometheus text exposition, summed over its
 * label sets. */
struct qvr_prom_gauge {
    char name[128];
    double value;
};

/* The families declared `# TYPE name gauge` in text (len bytes), in order
 * of declaration, with the sum of their samples; at most max. Lines that
 * do not parse are skipped. Returns the number written. */
int qvr_collect_parse_prom(const char *text, size_t len,
                           struct qvr_prom_gauge *out, int max);

/* The dur= of each metric of one Server-Timing header value ("db;dur=53,
 * app;dur=47.2;desc=\"x\""): calls fn(ud, name, name_len, ms) per metric
 * that has a numeric dur. Returns the number of calls. */
int qvr_collect_parse_server_timing(const char *value, size_t len,
                                    void (*fn)(void *ud, const char *name,
                                               size_t name_len, double ms),
                                    void *ud);

#endif
