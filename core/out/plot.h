/* plot.h -- the PNG charts of a result directory, drawn by gnuplot.
 *
 * For each chart the data gnuplot reads is written into the result
 * directory first (plot-latency.dat, plot-throughput.dat,
 * plot-distribution.dat, plot-steps.dat: whitespace-separated columns with
 * a commented header), then gnuplot runs as a child process on the chart's
 * template (plots/<chart>.gp) with the file names and titles passed as -e
 * variables. Templates are looked up in $QVR_PLOTS_DIR, else
 * <directory of the executable>/../plots, else QVR_SOURCE_DIR/plots when
 * that was compiled in. gnuplot is $QVR_GNUPLOT or `gnuplot` on PATH. */
#ifndef QVR_PLOT_H
#define QVR_PLOT_H

#include "render.h"

/* Writes the plot data files and renders latency.png, throughput.png,
 * distribution.png and, when the directory holds steps.csv, steps.png
 * (pngcairo, 1200x600) into rd->dir; each PNG is written under a temporary
 * name and renamed into place. A missing gnuplot or missing templates is
 * one note on stderr ("charts skipped: gnuplot not found"; none when quiet)
 * and not an error. A chart is kept only when gnuplot exits 0 and its file
 * is a whole PNG (gnuplot exits 0 on a full disk); a chart that fails is
 * removed, the other charts are still drawn, and the first failure is
 * returned as QVR_EIO with "cannot write DIR/NAME.png: reason" in err (the
 * later ones are warnings). Returns 0, or QVR_EIO / QVR_ENOMEM with err set
 * when a data file or a chart cannot be written. */
int qvr_plot_render(const struct qvr_rdir *rd, int quiet, char *err,
                    unsigned long errlen);

/* Whether path holds a whole PNG: the signature first and the IEND chunk
 * last (gnuplot exits 0 on a full disk, leaving an empty or cut file).
 * Returns 0, or -1 with the reason ("gnuplot wrote an empty file (disk
 * full?)", ...) in why. */
int qvr_plot_png_whole(const char *path, char *why, size_t wlen);

/* The least-squares line through the P99 of the run's steady windows:
 * the p99_trend threshold's own fit (qvr_trend_eval from the summary's
 * steady_from_s, *noise its 95% half-width), or for a summary without
 * steady_from_s the windows with requests, of full length, from the first
 * at the most users on (*noise NaN). Sets *first and *last to the window
 * range used and *a, *b to the line p99 = a + b * end_s. Returns the number
 * of windows fitted, or -1 when too few qualify. */
int qvr_plot_p99_trend(const struct qvr_rdir *rd, int *first, int *last,
                       double *a, double *b, double *noise);

struct qvr_buf;

/* Appends name='value'; to b, a gnuplot -e command line: a quote doubled,
 * a control character as a space, everything else as it is. */
void qvr_plot_gp_str(struct qvr_buf *b, const char *name, const char *value);

#endif
