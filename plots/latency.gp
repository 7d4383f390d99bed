# latency.gp -- response time per results window: P50, P90, P99, the
# least-squares trend of the P99 (dashed) when a p99_trend threshold was
# set, and the latency thresholds' limits, against time since the start.
#
# Set by qvrrun with -e: datafile, outfile, charttitle, xunit, xdiv,
# nsteps and stepS<i>/stepE<i>/stepL<i> (step holds, s, and labels),
# trendlabel (the title's second line: the trend's change and verdict),
# trendmode (0 no p99_trend threshold: no line; 1 judged: red; 2 not
# judged, too noisy: grey), points (1: few requests per window, draw
# points too), nlim and lim1..lim3 / limlabel1..limlabel3 / limcolor1..
# limcolor3 (limits in ms, drawn in their percentile's colour).
# datafile columns: time_s p50_ms p90_ms p99_ms max_ms p99_trend_ms full
# (NaN where a window had no requests or the trend is not drawn; full 0
# marks a short tail window, kept but not drawn).
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
dot(c) = (points ? full(c) : NaN)
trendcolor = (trendmode == 2 ? "#999999" : "#a6361c")
trendtitle = (trendmode == 2 ? "P99 trend: n/a (too noisy)" : \
              "P99 trend (least squares)")
lim(i) = (i == 1 ? lim1 : i == 2 ? lim2 : lim3)
# Step loads: each hold shaded and labelled, the settle before it grey.
prev = 0
do for [i=1:nsteps] {
    s = value(sprintf("stepS%d", i)) / xdiv
    e = value(sprintf("stepE%d", i)) / xdiv
    set object 2*i-1 rect from prev, graph 0 to s, graph 1 \
        fc rgb "#eeeeee" fs solid 1.0 noborder behind
    set object 2*i rect from s, graph 0 to e, graph 1 \
        fc rgb "#e6f0fa" fs solid 1.0 noborder behind
    set label 100+i value(sprintf("stepL%d", i)) at (s+e)/2, graph 0.96 \
        center font "Sans,9" tc rgb "#555555"
    prev = e
}
plot datafile using ($1/xdiv):(full(2)) with lines lw 2 lc rgb "#1b9e77" \
         title "P50 (median)", \
     '' using ($1/xdiv):(full(3)) with lines lw 2 lc rgb "#7570b3" \
         title "P90", \
     '' using ($1/xdiv):(full(4)) with lines lw 2 lc rgb "#d95f02" \
         title "P99", \
     '' using ($1/xdiv):(dot(2)) with points pt 7 ps 1.2 lc rgb "#1b9e77" \
         notitle, \
     '' using ($1/xdiv):(dot(3)) with points pt 7 ps 1.2 lc rgb "#7570b3" \
         notitle, \
     '' using ($1/xdiv):(dot(4)) with points pt 7 ps 1.2 lc rgb "#d95f02" \
         notitle, \
     '' using ($1/xdiv):(trendmode > 0 ? $6 : NaN) with lines lw 3 dt 2 \
         lc rgb trendcolor title (trendmode > 0 ? trendtitle : ""), \
     for [i=1:3] (nlim >= i ? lim(i) : NaN) with lines lw 2 dt 4 \
         lc rgb value(sprintf("limcolor%d", i)) \
         title (nlim >= i ? value(sprintf("limlabel%d", i)) : "")
