# tokens.gp -- token streams over the run, from the token columns of
# timeseries.csv: time to first token and inter-token latency (p50 and p99
# of each window) on top, output tokens per second below.
#
# Set by qvrrun with -e: datafile (timeseries.csv, read by column name),
# outfile, charttitle. Windows that completed no stream have empty token
# cells: the lines break there.
set terminal pngcairo size 1200,800 noenhanced font "Sans,11"
set output outfile
set datafile separator ","
set datafile columnheaders
set datafile missing NaN
v(name) = (strlen(strcol(name)) > 0 ? column(name) : NaN)
stats datafile using "time_s" nooutput
xmax = STATS_max > 0 ? STATS_max : 1

set multiplot title charttitle font "Sans,13"
set lmargin at screen 0.08
set rmargin at screen 0.97
set grid xtics ytics lc rgb "#dddddd"
set key inside left top horizontal opaque box samplen 3
set xrange [0:xmax]

set tmargin at screen 0.92
set bmargin at screen 0.52
set format x ""
set ylabel "ms"
set yrange [0:*]
plot datafile using "time_s":(v("ttft_p50_ms")) with lines lw 2 lc rgb "#1f78b4" title "TTFT p50", \
     '' using "time_s":(v("ttft_p99_ms")) with lines lw 2 dt 2 lc rgb "#1f78b4" title "TTFT p99", \
     '' using "time_s":(v("itl_p50_ms")) with lines lw 2 lc rgb "#33a02c" title "ITL p50", \
     '' using "time_s":(v("itl_p99_ms")) with lines lw 2 dt 2 lc rgb "#33a02c" title "ITL p99"

set tmargin at screen 0.46
set bmargin at screen 0.08
set format x "%g"
set xlabel "time since start (s)"
set ylabel "output tokens/s"
plot datafile using "time_s":(v("output_tokens_per_s")) with lines lw 2 lc rgb "#e31a1c" title "output tokens/s"
unset multiplot
