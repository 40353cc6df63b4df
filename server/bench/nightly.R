# The nightly analysis of the default questionnaire in R, the other side of
# `canvass nightly --once` in `canvass bench`: psych::fa and MASS::polr on
# the export (responses.csv) of the same cases the nightly run reads from
# the store. It does less than the nightly run — no parallel analysis, no
# cluster-robust standard errors, no reliability, descriptives or stored
# scores — so the ratio flatters R. It is timed as a whole (starting R and
# loading the packages included) and appends the seconds spent reading,
# in fa and in polr, as "read fa polr", to the file named second.
#
#   Rscript nightly.R responses.csv split.txt
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages({ library(psych); library(GPArotation); library(MASS) })

# Completes and partials, with the export's missing-value codes (-5 to -9:
# not answered, not asked, not reached, "don't know", "prefer not to say")
# missing, as the nightly run reads them.
t_read <- system.time({
  x <- read.csv(args[1], na.strings = c("", "NA", "-5", "-6", "-7", "-8", "-9"))
  x <- x[x$disposition %in% c("I", "P"), ]
})[["elapsed"]]

# The factor analysis of analysis.efa, factors named by their markers.
items <- c(paste0("participation_", 1:4), paste0("shared_goals_", 1:4), paste0("political_trust_", 1:3))
markers <- c(participation = "participation_1", shared_goals = "shared_goals_1", political_trust = "political_trust_1")
t_fa <- system.time({
  f <- fa(x[items], nfactors = 3, fm = "minres", rotate = "oblimin", scores = "regression")
  loadings <- unclass(f$loadings)
  scores <- f$scores[, sapply(markers, function(m) which.max(abs(loadings[m, ])))]
  colnames(scores) <- names(markers)
})[["elapsed"]]

# The three ordered logits of analysis.models.
t_polr <- system.time({
  d <- data.frame(scores,
    log_population = log(x$population),
    tech_capacity = rowMeans(x[paste0("tech_capacity_", 1:5)], na.rm = TRUE),
    department = relevel(factor(x$department), "Mayor's Office"),
    form_of_government = relevel(factor(x$form_of_government), "mayor-council"))
  for (outcome in c("provide_city_depts", "provide_other_govs", "provide_private")) {
    d$y <- factor(x[[outcome]], ordered = TRUE)
    m <- polr(y ~ participation + shared_goals + political_trust + log_population + tech_capacity +
      department + form_of_government, data = d, Hess = TRUE)
    print(coef(summary(m)))
  }
})[["elapsed"]]
cat(sprintf("%.2f %.2f %.2f\n", t_read, t_fa, t_polr), file = args[2], append = TRUE)
