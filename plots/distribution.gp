# distribution.gp -- the HDR percentile spectrum: response time against
# percentile, on a log scale of 1/(1-p) so the tail gets as much room as
# the body. One line per request name, the whole run in black.
#
# Set by qvrrun with -e: datafile, outfile, charttitle, nseries (blocks in
# datafile, the total first), xmax (widest 1/(1-p)), logy (1: log y axis,
# when the max is far above the median). datafile: blocks separated by two
# blank lines, each headed by its quoted title, columns percentile
# one_over_1_minus_p latency_ms.
set terminal pngcairo size 1200,600 noenhanced font "Sans,11"
set output outfile
set title charttitle font "Sans,13"
set xlabel "percentile (log scale of 1/(1-p))"
set ylabel "response time (ms)"
set grid xtics ytics mytics lc rgb "#dddddd"
set border 3
set tics nomirror
set key top left box opaque samplen 3
set logscale x
set xrange [1:xmax]
# Tic labels are formats too: %% is a percent sign.
set xtics ("0%%" 1, "50%%" 2, "90%%" 10, "99%%" 100, "99.9%%" 1000, \
           "99.99%%" 10000, "99.999%%" 100000, "99.9999%%" 1000000, \
           "99.99999%%" 10000000)
if (logy) {
    set logscale y
    set ylabel "response time (ms, log scale)"
} else {
    set yrange [0:*]
}
plot datafile index 0 using 2:3 with lines lw 3 lc rgb "black" \
         title columnheader(1), \
     for [i=1:nseries-1] datafile index i using 2:3 with lines lw 2 \
         title columnheader(1)
