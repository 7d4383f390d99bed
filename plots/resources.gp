# resources.gp -- what the target (or the host qvrrun runs on) did during
# the run, from the collect columns of timeseries.csv: CPU and GPU
# utilisation on top, available host memory and GPU memory below, against
# time since the start.
#
# Set by qvrrun with -e: datafile (timeseries.csv, read by column name),
# outfile, charttitle, hashost (1: cpu_pct and mem_avail_mb exist), hasgpu
# (1: gpu_util_pct and gpu_mem_mb exist). Empty cells (no sample in that
# window) are gaps.
set terminal pngcairo size 1200,600 noenhanced font "Sans,11"
set output outfile
set datafile separator ","
set datafile columnheaders
set datafile missing NaN
set multiplot layout 2,1 title charttitle font "Sans,13"
set grid xtics ytics lc rgb "#dddddd"
set border 3
set tics nomirror
set key top left box opaque samplen 3
set xrange [0:*]
v(name) = (strlen(strcol(name)) > 0 ? column(name) : NaN)

set ylabel "utilisation (%)"
set yrange [0:105]
set format x ""
set bmargin 1
if (hashost && hasgpu) {
    plot datafile using "time_s":(v("cpu_pct")) with lines lw 2 \
             lc rgb "#1f78b4" title "host CPU", \
         '' using "time_s":(v("gpu_util_pct")) with lines lw 2 \
             lc rgb "#33a02c" title "GPU"
} else {
    if (hasgpu) {
        plot datafile using "time_s":(v("gpu_util_pct")) with lines lw 2 \
                 lc rgb "#33a02c" title "GPU"
    } else {
        plot datafile using "time_s":(v("cpu_pct")) with lines lw 2 \
                 lc rgb "#1f78b4" title "host CPU"
    }
}

set format x "%g"
set bmargin 3
set tmargin 1
set xlabel "time since start (s)"
set ylabel "memory (MiB)"
set key center right box opaque samplen 3
set yrange [0:*]
if (hashost && hasgpu) {
    plot datafile using "time_s":(v("mem_avail_mb")) with lines lw 2 \
             lc rgb "#1f78b4" title "host memory available", \
         '' using "time_s":(v("gpu_mem_mb")) with lines lw 2 \
             lc rgb "#33a02c" title "GPU memory used"
} else {
    if (hasgpu) {
        plot datafile using "time_s":(v("gpu_mem_mb")) with lines lw 2 \
                 lc rgb "#33a02c" title "GPU memory used"
    } else {
        plot datafile using "time_s":(v("mem_avail_mb")) with lines lw 2 \
                 lc rgb "#1f78b4" title "host memory available"
    }
}
unset multiplot
