#!/usr/bin/env bash
# Times the same exploratory factor analysis in R and in canvass, side by
# side on the same synthetic CSV files of 50 Likert items with 0.5% missing
# cells, at 2,500 and 1,000,000 rows, and prints the medians and their ratio.
#
# R runs `x <- read.csv(f); psych::fa(x, nfactors = 5)` with psych's
# defaults: minres, oblimin, pairwise-complete correlations, SMC starting
# values, and (given raw data) regression factor scores for every row.
# canvass runs `canvass analyze efa --csv f --factors 5 --json`, the same
# defaults, without per-row scores. With FA=matrix, R does only that much:
# `r <- cor(x, use = "pairwise"); fa(r, nfactors = 5, n.obs = nrow(x))`.
# Each repetition runs R, then canvass,
# on the same file, so that both meet the same load; the machine's load is
# printed before and after, since on a shared machine absolute times drift
# and the ratio much less.
#
#   analysis/bench/bench_vs_r.sh            # builds canvass from this checkout
#   CANVASS=bin/canvass analysis/bench/bench_vs_r.sh
#   ROWS="2500 100000" REPS=3 analysis/bench/bench_vs_r.sh
#   FA=matrix ROWS=1000000 analysis/bench/bench_vs_r.sh
#
# The data files are generated into a temporary directory and removed.
# R runs server/bench/efa.R, the script canvass bench runs too.
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

# The median of its arguments.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

reps=${REPS:-5}
echo "load before: $(uptime | sed 's/.*load average: //') ($(nproc) cores); $reps side-by-side runs each; R fits $([[ ${FA:-} == matrix ]] && echo "cor(x, use = \"pairwise\")" || echo "the raw data, psych's default")"
printf '%-9s %-8s %9s %9s   %s\n' rows tool median_s peak_MiB note
for rows in ${ROWS:-2500 1000000}; do
	data=$tmp/items_$rows.csv
	go run ./analysis/bench/gendata -rows "$rows" -items 50 -seed 1 >"$data"
	r_secs=() c_secs=() r_mib=0 c_mib=0
	: >"$tmp/split"
	for _ in $(seq "$reps"); do
		read -r sec mib < <(measure Rscript server/bench/efa.R "$data" "$tmp/split" "${FA:-raw}")
		r_secs+=("$sec") r_mib=$((mib > r_mib ? mib : r_mib))
		read -r sec mib < <(measure "$canvass" analyze efa --csv "$data" --factors 5 --json)
		c_secs+=("$sec") c_mib=$((mib > c_mib ? mib : c_mib))
	done
	r_med=$(median "${r_secs[@]}") c_med=$(median "${c_secs[@]}")
	read_med=$(median $(awk '{ print $1 }' "$tmp/split")) fa_med=$(median $(awk '{ print $2 }' "$tmp/split"))
	printf '%-9s %-8s %9s %9s   %s\n' "$rows" R "$r_med" "$r_mib" "read.csv ${read_med}s + fa ${fa_med}s; runs: ${r_secs[*]}"
	printf '%-9s %-8s %9s %9s   %s\n' "$rows" canvass "$c_med" "$c_mib" "runs: ${c_secs[*]}"
	awk -v r="$r_med" -v c="$c_med" -v n="$rows" 'BEGIN { printf "%-9s R / canvass = %.1f× (ratio of the medians)\n", n, r / c }'
done
echo "load after: $(uptime | sed 's/.*load average: //')"
