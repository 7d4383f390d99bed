# monitor.gp -- qvrrun monitor: the latency of every probe as points (failed
# probes as red crosses) over the rolling-window P50, P90 and P99 lines,
# against local wall-clock time.
#
# Set by qvrrun with -e: datafile, outfile, charttitle, yunit ("ms" or "s"),
# ydiv (1 or 1000), nlim and lim1..lim3 / limlabel1..limlabel3 (latency
# thresholds in ms, drawn as lines). datafile columns: local_time_s latency_ms ok p50_ms
# p90_ms p99_ms (one line per probe; NaN where the window was empty).
set terminal pngcairo size 1200,600 noenhanced font "Sans,11"
set output outfile
set title charttitle font "Sans,13"
# A single probe (or probes within a second) has no time span: give the
# axis one minute around it instead of gnuplot's default day.
stats datafile using 1 nooutput
if (STATS_max - STATS_min < 1) {
    set xrange [STATS_min - 30 : STATS_max + 30]
}
set xdata time
set timefmt "%s"
set format x "%H:%M:%S"
set xlabel "local time"
set ylabel sprintf("probe latency (%s)", yunit)
set grid xtics ytics lc rgb "#dddddd"
set border 3
set tics nomirror
set xtics rotate by -30
set key outside below center horizontal box samplen 3 spacing 1.2
set bmargin (nlim > 0 ? 8 : 6)
set rmargin 8
set yrange [0:*]
okv(c) = ($3 > 0.5 ? column(c) / ydiv : NaN)
failv(c) = ($3 > 0.5 ? NaN : column(c) / ydiv)
# The rolling percentiles first, the probes on top: a stalled probe sits
# on the P99 plateau it causes and must not be hidden under that line.
# Answered probes are dark dots, failed ones red crosses (drawn last).
plot datafile using 1:($4/ydiv) with lines lw 2 lc rgb "#1b9e77" \
         title "rolling P50", \
     '' using 1:($5/ydiv) with lines lw 2 lc rgb "#7570b3" \
         title "rolling P90", \
     '' using 1:($6/ydiv) with lines lw 2 lc rgb "#d95f02" \
         title "rolling P99", \
     '' using 1:(okv(2)) with points pt 7 ps 0.7 lc rgb "#202020" \
         title "probe", \
     '' using 1:(failv(2)) with points pt 2 ps 1.3 lw 2 lc rgb "#e7003c" \
         title "failed probe", \
     for [i=1:3] (nlim >= i ? value(sprintf("lim%d", i)) / ydiv : NaN) \
         with lines lw 2 dt 4 lc rgb "#c00000" \
         title (nlim >= i ? value(sprintf("limlabel%d", i)) : "")
