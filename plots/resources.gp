# resources.gp -- what the target (or the host qvrrun runs on) did during
# the run, from the collect columns of timeseries.csv: CPU and GPU
# utilisation, then available host memory and GPU memory, then the
# target's timing headers (X-Queue-Ms, X-Infer-Ms, Server-Timing), each a
# panel against time since the start.
#
# Set by qvrrun with -e: datafile (timeseries.csv, read by column name),
# outfile, charttitle, hashost (1: cpu_pct and mem_avail_mb exist), hasgpu
# (1: gpu_util_pct and gpu_mem_mb exist), timingcols (the timing-header
# columns with at least one value, space-separated, in ms; '' for none).
# Empty cells: the CPU, memory and GPU lines join across them (the
# collector repeats the last sample, so they are rare); the timing lines
# break there (a window without an answer has no timing).
#
# Every panel has the same left and right margins at fixed screen
# positions and the same x range, so one time is one pixel column in all
# of them (automatic margins follow each panel's tic labels and would
# shift the axes against each other).
if (!exists("timingcols")) timingcols = ""
ntiming = words(timingcols)
hasres = (hashost || hasgpu) ? 1 : 0
npanels = 2 * hasres + (ntiming > 0 ? 1 : 0)
if (npanels < 1) npanels = 1

# Pixels: 600 high for two panels, 800 for three, 400 for one.
ypx = npanels == 3 ? 800 : (npanels == 1 ? 400 : 600)
set terminal pngcairo size 1200,ypx noenhanced font "Sans,11"
set output outfile
set datafile separator ","
set datafile columnheaders
set datafile missing NaN
v(name) = (strlen(strcol(name)) > 0 ? column(name) : NaN)

# One x range for every panel: 0 to the last window's end.
stats datafile using "time_s" nooutput
xmax = STATS_max > 0 ? STATS_max : 1

# Screen geometry: fixed left and right edges; panels stacked between the
# title (top) and the x tic labels and axis label (bottom) with a small gap.
leftx = 0.075
rightx = 0.975
topy = 1 - 42.0 / ypx
boty = 62.0 / ypx
gapy = 24.0 / ypx
ph = (topy - boty - (npanels - 1) * gapy) / npanels
ptop(i) = topy - (i - 1) * (ph + gapy)
pbot(i) = ptop(i) - ph
panel = 0

set multiplot title charttitle font "Sans,13"
set lmargin at screen leftx
set rmargin at screen rightx
set grid xtics ytics lc rgb "#dddddd"
set border 3
set tics nomirror
set xrange [0:xmax]
set format x ""
unset xlabel

if (hasres) {
    panel = panel + 1
    set tmargin at screen ptop(panel)
    set bmargin at screen pbot(panel)
    if (panel == npanels) {
        set format x "%g"
        set xlabel "time since start (s)"
    }
    set ylabel "utilisation (%)"
    set yrange [0:105]
    set key top left box opaque samplen 3
    if (hashost && hasgpu) {
        plot datafile using "time_s":(v("cpu_pct")) with lines lw 2 \
                 lc rgb "#1f78b4" title "CPU, this host (the load generator)", \
             '' using "time_s":(v("gpu_util_pct")) with lines lw 2 \
                 lc rgb "#33a02c" title "GPU, this host"
    } else {
        if (hasgpu) {
            plot datafile using "time_s":(v("gpu_util_pct")) with lines lw 2 \
                     lc rgb "#33a02c" title "GPU, this host"
        } else {
            plot datafile using "time_s":(v("cpu_pct")) with lines lw 2 \
                     lc rgb "#1f78b4" title "CPU, this host (the load generator)"
        }
    }

    panel = panel + 1
    set tmargin at screen ptop(panel)
    set bmargin at screen pbot(panel)
    if (panel == npanels) {
        set format x "%g"
        set xlabel "time since start (s)"
    }
    set ylabel "memory (MiB)"
    set key center right box opaque samplen 3
    set yrange [0:*]
    if (hashost && hasgpu) {
        plot datafile using "time_s":(v("mem_avail_mb")) with lines lw 2 \
                 lc rgb "#1f78b4" title "memory available, this host (the load generator)", \
             '' using "time_s":(v("gpu_mem_mb")) with lines lw 2 \
                 lc rgb "#33a02c" title "GPU memory used, this host"
    } else {
        if (hasgpu) {
            plot datafile using "time_s":(v("gpu_mem_mb")) with lines lw 2 \
                     lc rgb "#33a02c" title "GPU memory used, this host"
        } else {
            plot datafile using "time_s":(v("mem_avail_mb")) with lines lw 2 \
                     lc rgb "#1f78b4" title "memory available, this host (the load generator)"
        }
    }
}

if (ntiming > 0) {
    panel = panel + 1
    set tmargin at screen ptop(panel)
    set bmargin at screen pbot(panel)
    set format x "%g"
    set xlabel "time since start (s)"
    set ylabel "server time (ms, mean)"
    set key top left box opaque samplen 3 width 1 horizontal
    set yrange [0:*]
    set offsets 0, 0, graph 0.2, 0   # headroom above the lines for the key
    # NaN (an empty cell) now breaks the line; points as well as lines, so
    # a window between two gaps is still seen.
    unset datafile missing
    tcolor(i) = word("#e66101 #5e3c99 #1b9e77 #d95f02 #7570b3 #e7298a " . \
                     "#66a61e #e6ab02 #a6761d #666666", (i - 1) % 10 + 1)
    plot for [i=1:ntiming] datafile \
        using "time_s":(v(word(timingcols, i))) with linespoints lw 2 \
        pt 7 ps 0.6 lc rgb tcolor(i) title word(timingcols, i)
}
unset multiplot
