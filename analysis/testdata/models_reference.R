# Reference values for the Go tests of analysis/reliability, analysis/model
# and analysis/describe. Run from this directory:
#
#   Rscript models_reference.R
#
# It writes the data sets the model tests read (bfi_models.csv, housing.csv,
# petersen.csv) and models_reference.json with what psych, MASS::polr,
# lm, sandwich::vcovCL and t.test report on them. The alpha tests read the
# bfi items from bfi.csv, which efa_reference.R writes from the same
# psychTools::bfi. The Go tests need no R.
suppressPackageStartupMessages({
  library(psych)
  library(psychTools)
  library(MASS)
  library(sandwich)
  library(jsonlite)
})

# Data sets -----------------------------------------------------------------

# psych's bfi: 25 personality items (1-6), gender, education (1-5), age;
# 2,800 people, with missing values. The models use a few items and the
# demographics.
data(bfi, package = "psychTools")
bfi <- as.data.frame(bfi)
write.csv(bfi[, c("A1", "A2", "C1", "E1", "gender", "education", "age")], "bfi_models.csv",
          row.names = FALSE, na = "NA")

# MASS's housing, one row per household instead of a frequency weight.
# Satisfaction is coded 1 < 2 < 3 (Low, Medium, High).
house <- housing[rep(seq_len(nrow(housing)), housing$Freq), c("Sat", "Infl", "Type", "Cont")]
house$Sat <- as.integer(house$Sat)
for (v in c("Infl", "Type", "Cont")) house[[v]] <- as.character(house[[v]])
write.csv(house, "housing.csv", row.names = FALSE)

# sandwich's PetersenCL: 500 firms x 10 years, a natural cluster. y4 cuts the
# continuous response into four ordered classes for the ordered logit.
data(PetersenCL, package = "sandwich")
pet <- PetersenCL
pet$y4 <- as.integer(cut(pet$y, c(-Inf, -1, 0, 1, Inf)))
write.csv(pet, "petersen.csv", row.names = FALSE)

# Canvass orders the levels of a categorical variable numerically when every
# level is a number, else by byte order; R factors must use the same order so
# that the reference (first) level is the same.
canvass_factor <- function(x) {
  levels <- unique(x[!is.na(x)])
  levels <- if (is.numeric(levels)) sort(levels) else sort(levels, method = "radix")
  factor(x, levels = levels)
}

# Alpha ------------------------------------------------------------------------

alpha_case <- function(items, reverse) {
  x <- bfi[, items]
  keys <- ifelse(items %in% reverse, -1, 1)
  a <- psych::alpha(x, keys = keys, warnings = FALSE)
  # psych::omega's omega.tot = (sum(R) - sum(u2)) / sum(R), from the pairwise
  # correlations; with one factor the uniquenesses are those of a one-factor
  # minres solution.
  om <- suppressMessages(suppressWarnings(
    psych::omega(x, nfactors = 1, key = keys, plot = FALSE)))
  list(
    items = I(items), reverse = I(reverse),
    raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
    g6 = a$total$`G6(smc)`, average_r = a$total$average_r,
    alpha_if_dropped = a$alpha.drop$raw_alpha,
    item_rest_r = a$item.stats$r.drop,
    omega_total = om$omega.tot
  )
}

scale_items <- function(s) paste0(s, 1:5)
alpha_cases <- list(
  alpha_case(scale_items("A"), "A1"),
  alpha_case(scale_items("C"), c("C4", "C5")),
  alpha_case(scale_items("E"), c("E1", "E2")),
  alpha_case(scale_items("N"), character(0)),
  alpha_case(scale_items("O"), c("O2", "O5"))
)

# Models -------------------------------------------------------------------

# A deterministic cluster for bfi: blocks of ten consecutive rows.
bfi$block <- (seq_len(nrow(bfi)) - 1) %/% 10 + 1

# The tight tolerance makes optim's BFGS stop at the optimum to many more
# digits than the tests compare.
tight <- list(reltol = 1e-15, maxit = 10000)

# cluster_df: the degrees of freedom of the cluster-robust test, as Stata's
# vce(cluster) takes them: Inf (the normal) for maximum likelihood, G - 1
# for OLS; NULL for a table without cluster p-values (thresholds).
coef_table <- function(estimate, se, cluster_se, cluster_df = NULL) {
  rows <- lapply(seq_along(estimate), function(j) {
    r <- list(term = names(estimate)[j], estimate = unname(estimate[j]), se = unname(se[j]))
    if (!is.null(cluster_se)) r$cluster_se <- unname(cluster_se[j])
    if (!is.null(cluster_se) && !is.null(cluster_df)) {
      r$cluster_p <- 2 * pt(-abs(unname(estimate[j] / cluster_se[j])), df = cluster_df)
    }
    r
  })
  rows
}

# R names a dummy "educationLEVEL"; Canvass names it "education=LEVEL".
canvass_terms <- function(names, factors) {
  for (f in factors) names <- sub(paste0("^", f), paste0(f, "="), names)
  names
}

ologit_case <- function(name, data, y, x, factors = character(0), cluster = NULL) {
  vars <- c(y, x, factors, cluster)
  d <- data[complete.cases(data[, vars]), vars]
  d[[y]] <- factor(d[[y]], levels = sort(unique(d[[y]])), ordered = TRUE)
  for (f in factors) d[[f]] <- canvass_factor(d[[f]])
  form <- reformulate(c(x, factors), response = y)
  fit <- polr(form, data = d, Hess = TRUE, control = tight)
  v <- vcov(fit)
  k <- length(coef(fit))
  se <- sqrt(diag(v))
  cl <- if (!is.null(cluster)) sqrt(diag(vcovCL(fit, cluster = d[[cluster]], type = "HC0", cadjust = TRUE))) else NULL
  beta <- coef(fit)
  names(beta) <- canvass_terms(names(beta), factors)
  list(
    name = name, y = y, x = I(x), factors = I(factors), cluster = if (is.null(cluster)) "" else cluster,
    n = nrow(d), loglik = as.numeric(logLik(fit)),
    coefficients = coef_table(beta, se[1:k], cl[1:k], Inf),
    thresholds = coef_table(fit$zeta, se[-(1:k)], cl[-(1:k)])
  )
}

ols_case <- function(name, data, y, x, factors = character(0), cluster = NULL) {
  vars <- c(y, x, factors, cluster)
  d <- data[complete.cases(data[, vars]), vars]
  for (f in factors) d[[f]] <- canvass_factor(d[[f]])
  fit <- lm(reformulate(c(x, factors), response = y), data = d)
  s <- summary(fit)
  cl <- if (!is.null(cluster)) sqrt(diag(vcovCL(fit, cluster = d[[cluster]], type = "HC1", cadjust = TRUE))) else NULL
  beta <- coef(fit)
  names(beta) <- canvass_terms(names(beta), factors)
  list(
    name = name, y = y, x = I(x), factors = I(factors), cluster = if (is.null(cluster)) "" else cluster,
    n = nrow(d), r2 = s$r.squared, adj_r2 = s$adj.r.squared,
    coefficients = coef_table(beta, s$coefficients[, "Std. Error"], cl,
                              if (is.null(cluster)) NULL else length(unique(d[[cluster]])) - 1),
    t = unname(s$coefficients[, "t value"]), p = unname(s$coefficients[, "Pr(>|t|)"])
  )
}

ologit_cases <- list(
  ologit_case("bfi", bfi, "A2", c("age", "gender"), "education", "block"),
  ologit_case("housing", house, "Sat", character(0), c("Infl", "Type", "Cont")),
  ologit_case("petersen", pet, "y4", "x", cluster = "firm")
)
ols_cases <- list(
  ols_case("bfi", bfi, "A2", c("age", "gender"), "education", "block"),
  ols_case("petersen", pet, "y", "x", cluster = "firm"),
  ols_case("bfi_uncluster", bfi, "age", c("A1", "C1", "E1"), "gender")
)

# Group means ------------------------------------------------------------------

mean_case <- function(values, groups) {
  lapply(sort(unique(groups[!is.na(groups)])), function(g) {
    x <- values[!is.na(values) & !is.na(groups) & groups == g]
    ci <- t.test(x, conf.level = 0.95)$conf.int
    list(group = as.character(g), n = length(x), mean = mean(x), sd = sd(x),
         se = sd(x) / sqrt(length(x)), lo = ci[1], hi = ci[2])
  })
}

reference <- list(
  generated_by = "analysis/testdata/models_reference.R",
  r_version = R.version.string,
  packages = lapply(c(psych = "psych", MASS = "MASS", sandwich = "sandwich"),
                    function(p) as.character(packageVersion(p))),
  alpha = alpha_cases,
  ologit = ologit_cases,
  ols = ols_cases,
  means = list(list(value = "A2", group = "education", groups = mean_case(bfi$A2, bfi$education)))
)
write_json(reference, "models_reference.json", auto_unbox = TRUE, digits = NA, pretty = TRUE)
