# psych::fa with 5 factors on a CSV of items, the R side of `canvass
# analyze efa` in `canvass bench` and analysis/bench/bench_vs_r.sh. With
# "raw" R fits the data as psych does by default (minres, oblimin,
# pairwise-complete correlations, regression scores for every row); with
# "matrix" it does only canvass's work, fa on cor(x, use = "pairwise"). It
# appends the seconds spent reading the file and fitting, as "read fa", to
# the file named second.
#
#   Rscript efa.R items.csv split.txt raw|matrix
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages({ library(psych); library(GPArotation) })
t_read <- system.time(x <- read.csv(args[1]))[["elapsed"]]
t_fa <- system.time(f <- if (args[3] == "matrix") {
	fa(cor(x, use = "pairwise"), nfactors = 5, n.obs = nrow(x))
} else {
	fa(x, nfactors = 5)
})[["elapsed"]]
cat(sprintf("%.2f %.2f\n", t_read, t_fa), file = args[2], append = TRUE)
