# latency.gp -- response time per results window: P50, P90, P99 and the
# least-squares trend of the P99 (dashed), against time since the start.
#
# Set by qvrrun with -e: datafile, outfile, charttitle, xunit, xdiv,
# trendlabel (the trend's change, the title's second line). datafile
# columns: time_s p50_ms p90_ms p99_ms max_ms p99_trend_ms full (NaN
# where a window had no requests or the trend is not drawn; full 0 marks a
# short tail window, kept but not drawn).
set terminal pngcairo size 1200,600 noenhanced font "Sans,11"
set output outfile
set title charttitle . "\n" . trendlabel font "Sans,13"
set xlabel sprintf("time since start (%s)", xunit)
set ylabel "response time (ms)"
set grid xtics ytics lc rgb "#dddddd"
set border 3
set tics nomirror
set key outside below center horizontal box samplen 3 spacing 1.2
set bmargin 6
set xrange [0:*]
set yrange [0:*]
full(c) = ($7 > 0.5 ? column(c) : NaN)
plot datafile using ($1/xdiv):(full(2)) with lines lw 2 lc rgb "#1b9e77" \
         title "P50 (median)", \
     '' using ($1/xdiv):(full(3)) with lines lw 2 lc rgb "#7570b3" \
         title "P90", \
     '' using ($1/xdiv):(full(4)) with lines lw 2 lc rgb "#d95f02" \
         title "P99", \
     '' using ($1/xdiv):6 with lines lw 3 dt 2 lc rgb "#a6361c" \
         title "P99 trend (least squares)"
