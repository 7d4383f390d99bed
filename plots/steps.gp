# steps.gp -- a step load: throughput (left axis) and P99 (right axis) at
# each step's users or rate, with the knee marked.
#
# Set by qvrrun with -e: datafile, outfile, charttitle, xlabeltext, logx
# (1: log2 x axis for doubling steps), hasknee, kneex, kneelabel.
# datafile columns: x rps p99_ms error_rate knee.
set terminal pngcairo size 1200,600 noenhanced font "Sans,11"
set output outfile
set title charttitle font "Sans,13"
set xlabel xlabeltext
set ylabel "throughput (requests/s)"
set y2label "P99 response time (ms)"
set grid xtics ytics lc rgb "#dddddd"
set border 11
set ytics nomirror
set xtics nomirror
set y2tics
set key outside below center horizontal box samplen 3 spacing 1.2
set bmargin 6
set yrange [0:*]
set y2range [0:*]
set offsets graph 0.03, graph 0.03, 0, 0
if (logx) {
    set logscale x 2
}
if (hasknee) {
    set arrow 1 from kneex, graph 0 to kneex, graph 1 nohead dt 2 lw 2 \
        lc rgb "#cc0000"
    set label 1 kneelabel at kneex, graph 0.93 offset 1, 0 \
        textcolor rgb "#cc0000"
}
plot datafile using 1:2 with linespoints lw 2 pt 7 ps 1.3 lc rgb "#1f78b4" \
         title "throughput (req/s)", \
     '' using 1:3 axes x1y2 with linespoints lw 2 pt 5 ps 1.3 \
         lc rgb "#d95f02" title "P99 (ms, right axis)"
