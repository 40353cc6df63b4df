#!/usr/bin/env bash
# Times the same exploratory factor analysis in R (psych::fa, its defaults:
# minres, oblimin, pairwise correlations, 5 factors) and in canvass on the
# same synthetic CSV files of 50 Likert items with 0.5% missing cells, at
# 2,500 and 1,000,000 rows, and prints wall time, peak memory and the ratio.
#
#   analysis/bench/bench_vs_r.sh            # builds canvass from this checkout
#   CANVASS=bin/canvass analysis/bench/bench_vs_r.sh
#   ROWS="2500 100000" analysis/bench/bench_vs_r.sh
#
# The data files are generated into a temporary directory and removed.
# Needs Rscript with psych and GPArotation, and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/../.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A fresh build of the checkout, unless CANVASS names a binary to time.
canvass=${CANVASS:-}
if [[ -z $canvass ]]; then
	go build -o "$tmp/canvass" .
	canvass=$tmp/canvass
fi

# Prints "seconds peak-MiB" for a command, its own output discarded.
measure() {
	/usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >/dev/null
	awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$tmp/time"
}

# The R side, timed as a whole; it also records how the time splits
# between reading the file and fitting.
cat >"$tmp/fa.R" <<'R'
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages({ library(psych); library(GPArotation) })
t_read <- system.time(x <- read.csv(args[1]))[["elapsed"]]
t_fa <- system.time(f <- fa(x, nfactors = 5))[["elapsed"]]
writeLines(sprintf("read.csv %.2fs + fa %.2fs", t_read, t_fa), args[2])
R

printf '%-9s %-8s %10s %9s   %s\n' rows tool seconds peak_MiB note
for rows in ${ROWS:-2500 1000000}; do
	data=$tmp/items_$rows.csv
	go run ./analysis/bench/gendata -rows "$rows" -items 50 -seed 1 >"$data"
	read -r r_sec r_mib < <(measure Rscript "$tmp/fa.R" "$data" "$tmp/split")
	read -r c_sec c_mib < <(measure "$canvass" analyze efa --csv "$data" --factors 5 --json)
	printf '%-9s %-8s %10s %9s   %s\n' "$rows" R "$r_sec" "$r_mib" "$(cat "$tmp/split")"
	printf '%-9s %-8s %10s %9s   %s\n' "$rows" canvass "$c_sec" "$c_mib" \
		"$(awk -v r="$r_sec" -v c="$c_sec" 'BEGIN { printf "R / canvass = %.1f", r / c }')"
done
