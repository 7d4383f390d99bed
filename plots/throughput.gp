# throughput.gp -- requests and failures per second in each results
# window, with the number of running users on the right-hand axis.
#
# Set by qvrrun with -e: datafile, outfile, charttitle, xunit, xdiv,
# nsteps and stepS<i>/stepE<i>/stepL<i> (step holds, s, and labels),
# usersmax, usersstep (the right axis), trendlabel (the title's second
# line, "" for none), trendmode (0 no rps_trend threshold: no line; 1
# judged; 2 not judged, grey), nlim and lim1..lim3 / limlabel1..limlabel3
# (rps limits). datafile columns: time_s rps failures_per_s users full (0:
# a short tail window, kept but not drawn) rps_trend (NaN: not drawn).
set terminal pngcairo size 1200,600 noenhanced font "Sans,11"
set output outfile
set title (strlen(trendlabel) ? charttitle . "\n" . trendlabel : charttitle) \
    font "Sans,13"
set xlabel sprintf("time since start (%s)", xunit)
set ylabel "requests per second"
set y2label "users running"
set grid xtics ytics lc rgb "#dddddd"
set border 11
set ytics nomirror
set xtics nomirror
set y2tics 0, usersstep
set key outside below center horizontal box samplen 3 spacing 1.2
set bmargin 6
set xrange [0:*]
set yrange [0:*]
set y2range [0:usersmax]
full(c) = ($5 > 0.5 ? column(c) : NaN)
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
plot datafile using ($1/xdiv):(full(2)) with lines lw 2 lc rgb "#1f78b4" \
         title "requests/s", \
     '' using ($1/xdiv):(full(3)) with lines lw 2 lc rgb "#e31a1c" \
         title "failures/s", \
     '' using ($1/xdiv):(full(4)) axes x1y2 with steps lw 2 dt 3 \
         lc rgb "#555555" title "users (right axis)", \
     '' using ($1/xdiv):(trendmode > 0 ? $6 : NaN) with lines lw 3 dt 2 \
         lc rgb (trendmode == 2 ? "#999999" : "#08306b") \
         title (trendmode == 2 ? "rps trend: n/a (too noisy)" : \
                trendmode == 1 ? "rps trend (least squares)" : ""), \
     for [i=1:3] (nlim >= i ? value(sprintf("lim%d", i)) : NaN) with lines \
         lw 2 dt 4 lc rgb "#1f78b4" \
         title (nlim >= i ? value(sprintf("limlabel%d", i)) : "")
