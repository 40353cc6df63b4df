# Reference values for analysis/represent (response propensities and
# R-indicators), analysis/weighting (raking) and the weighted estimates of
# analysis/describe, computed with R's glm and the survey package.
#
#   cd analysis/testdata && Rscript weights_reference.R [SIMULATION_DIR]
#
# Writes apiclus1.csv and apipop_awards.csv (from survey's public api data)
# and weights_reference.json. canvass_cases.csv is a Canvass-shaped sample,
# the eligible cases of a simulated field period; it was written by this
# script from
#
#   go run . simulate --out SIMULATION_DIR --cities 100 --seed 7
#
# and is rewritten only when SIMULATION_DIR is given. The Go tests need no R.
#
# The R-indicator, its standard error and the partial R-indicators are not in
# any package: they are computed here from glm's fitted values and vcov with
# the formulas stated in analysis/represent, written independently of the Go.
suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})
options(warn = 1)

# Vectors stay JSON arrays even when they have one element.
v <- function(x) I(as.numeric(x))

# Data sets --------------------------------------------------------------------

data(api)
write.csv(apiclus1[, c("dnum", "pw", "fpc", "stype", "sch.wide", "api00")],
          "apiclus1.csv", row.names = FALSE)
apiclus1 <- read.csv("apiclus1.csv", stringsAsFactors = FALSE)

# apipop's 6,194 schools: whether a school won an award, by school type, share
# of students on subsidized meals (four bands) and whether it met its
# school-wide target; one row per combination, with its count.
meals_levels <- c("0-25", "26-50", "51-75", "76-100")
pop <- data.frame(
  stype = as.character(apipop$stype),
  meals = meals_levels[cut(apipop$meals, c(-1, 25, 50, 75, 100), labels = FALSE)],
  sch.wide = as.character(apipop$sch.wide),
  awards = as.integer(apipop$awards == "Yes"),
  stringsAsFactors = FALSE
)
agg <- aggregate(list(count = rep(1L, nrow(pop))), pop, length)
agg <- agg[do.call(order, agg[, c("stype", "meals", "sch.wide", "awards")]), ]
write.csv(agg, "apipop_awards.csv", row.names = FALSE)
agg <- read.csv("apipop_awards.csv", stringsAsFactors = FALSE)
pop <- agg[rep(seq_len(nrow(agg)), agg$count), c("stype", "meals", "sch.wide", "awards")]

# The Canvass-shaped sample: every eligible case (AAPOR NE left out), whether
# it responded (I or P), its city (a city within its state, the cluster), the
# frame variables of the default propensity model and one answer (-8 don't
# know and -9 prefer not to say are missing, as in the nightly run).
bands <- c("under 25,000", "25,000-49,999", "50,000-99,999", "100,000-249,999", "250,000 and over")
args <- commandArgs(trailingOnly = TRUE)
if (length(args) == 1) {
  sim <- read.csv(file.path(args[1], "responses.csv"), stringsAsFactors = FALSE)
  sim <- sim[sim$disposition != "NE", ]
  sim <- sim[order(sim$case_id), ]
  y <- sim$provide_city_depts
  y[y %in% c(-8, -9)] <- NA
  cases <- data.frame(
    city = paste(sim$city, sim$state, sep = ", "),
    department = sim$department,
    population_band = bands[findInterval(sim$population, c(1, 25000, 50000, 1e5, 2.5e5))],
    form_of_government = sim$form_of_government,
    responded = as.integer(sim$disposition %in% c("I", "P")),
    provide_city_depts = y
  )
  write.csv(cases, "canvass_cases.csv", row.names = FALSE, na = "")
}
cases <- read.csv("canvass_cases.csv", stringsAsFactors = FALSE)

# Level orders: the first is the reference of the treatment contrasts (the
# questionnaire's order; bands from the smallest).
canvass_levels <- list(
  department = c("Mayor's Office", "Community Development", "Parks and Recreation", "Police", "Finance"),
  population_band = bands[bands %in% cases$population_band],
  form_of_government = c("mayor-council", "council-manager", "commission", "town meeting",
                         "representative town meeting")
)
api_levels <- list(stype = c("E", "H", "M"), meals = meals_levels, sch.wide = c("No", "Yes"))

# Propensities and R-indicators -----------------------------------------------

# separated, when given, is a level (list(variable, level)) in which nobody
# responded. There the maximum likelihood is at infinity, where the level's
# propensity is 0 and the rest of the model is the glm of the other cases;
# glm only approaches it, and its vcov turns to noise the further it iterates
# (with epsilon = 1e-14 its variance of S is 45% off). The reference is the
# limit itself: propensity 0 in the level, elsewhere the glm of the others.
propensity_case <- function(name, data, response, levels, separated = NULL) {
  vars <- names(levels)
  for (x in vars) data[[x]] <- factor(data[[x]], levels = levels[[x]])
  # Tight control, so that R stops at the fixed point the Go iterates to.
  control <- glm.control(epsilon = 1e-14, maxit = 100)
  n <- nrow(data)
  if (is.null(separated)) {
    fit <- glm(reformulate(vars, response), family = binomial, data = data, control = control)
    p <- unname(fitted(fit))
    X <- model.matrix(fit)
    V <- vcov(fit)
  } else {
    inside <- data[[separated$variable]] == separated$level
    stopifnot(all(data[[response]][inside] == 0))
    rest <- droplevels(data[!inside, ])
    fit <- glm(reformulate(vars[sapply(rest[vars], nlevels) > 1], response),
               family = binomial, data = rest, control = control)
    p <- numeric(n)
    p[!inside] <- fitted(fit)
    X <- matrix(0, n, length(coef(fit)))
    X[!inside, ] <- model.matrix(fit)
    V <- vcov(fit)
  }
  pbar <- mean(p)
  S <- sd(p)

  # var(S) = g' V g + (m4 - S^4) / (4 S^2 n)
  g <- colSums((p - pbar) * p * (1 - p) * X) / ((n - 1) * S)
  m4 <- mean((p - pbar)^4)
  var_s <- drop(t(g) %*% V %*% g) + (m4 - S^4) / (4 * S^2 * n)

  partials <- lapply(vars, function(x) {
    z <- data[[x]]
    nk <- as.vector(table(z))
    mk <- as.vector(tapply(p, z, mean))
    present <- nk > 0
    others <- setdiff(vars, x)
    cell <- if (length(others)) interaction(data[others], drop = TRUE) else factor(rep(1, n))
    list(
      variable = x,
      unconditional = sqrt(sum(nk[present] * (mk[present] - pbar)^2) / n),
      conditional = sqrt(sum((p - ave(p, cell))^2) / n),
      categories = lapply(which(present), function(k) list(
        level = levels[[x]][k], n = nk[k], respondents = sum(data[[response]][z == levels[[x]][k]]),
        mean_propensity = mk[k], partial = sqrt(nk[k] / n) * (mk[k] - pbar)
      ))
    )
  })

  terms <- c("(Intercept)", unlist(lapply(vars, function(x) paste0(x, "=", levels[[x]][-1]))))
  out <- list(
    name = name, response = response,
    variables = lapply(vars, function(x) list(name = x, levels = I(levels[[x]]))),
    n = n, respondents = sum(data[[response]]),
    separated = !is.null(separated),
    mean_propensity = pbar, sd = S, cv = S / pbar,
    r_indicator = 1 - 2 * S, r_indicator_se = 2 * sqrt(var_s),
    partials = partials
  )
  # Under separation the coefficients of the full model are infinite: only
  # the fitted values and what is computed from them are comparable.
  if (is.null(separated)) {
    out$coefficients <- lapply(seq_along(terms), function(j) list(
      term = terms[j], estimate = unname(coef(fit)[j]), se = sqrt(V[j, j])))
  }
  out$fitted <- v(p)
  out
}

propensity_cases <- list(
  propensity_case("canvass", cases, "responded", canvass_levels),
  propensity_case("apipop", pop, "awards", api_levels[c("stype", "meals")]),
  propensity_case("apipop_separated", pop, "awards", api_levels[c("stype", "sch.wide")],
                  separated = list(variable = "sch.wide", level = "No"))
)
# apipop's fitted values are the same for every school of a row of
# apipop_awards.csv: keep one per row.
for (j in 2:3) {
  first <- !duplicated(rep(seq_len(nrow(agg)), agg$count))
  propensity_cases[[j]]$fitted <- v(propensity_cases[[j]]$fitted[first])
}

# Raking -------------------------------------------------------------------------

margin_table <- function(x, levels, counts) {
  d <- data.frame(factor(levels, levels = levels), Freq = as.numeric(counts))
  names(d)[1] <- x
  d
}

rake_case <- function(name, design, levels, population) {
  vars <- names(levels)
  r <- rake(design, lapply(vars, function(x) reformulate(x)),
            lapply(vars, function(x) margin_table(x, levels[[x]], population[[x]])),
            control = list(maxit = 100, epsilon = 1e-10))
  w <- unname(weights(r))
  list(
    name = name,
    margins = lapply(vars, function(x) list(
      variable = x, levels = I(levels[[x]]), population = v(population[[x]]))),
    weights = v(w),
    deff = length(w) * sum(w^2) / sum(w)^2,
    n_eff = sum(w)^2 / sum(w^2),
    min = min(w), max = max(w), mean = mean(w)
  )
}

# ?rake's example: apiclus1 raked to apipop's school types and school-wide
# targets, from the sampling weights.
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
api_rake <- rake_case("apiclus1", dclus1, api_levels[c("stype", "sch.wide")],
                      list(stype = table(apipop$stype), sch.wide = table(apipop$sch.wide)))

# Canvass: the respondents, from N/n, raked to the counts of all eligible cases.
resp <- cases[cases$responded == 1, ]
resp$w0 <- nrow(cases) / nrow(resp)
frame_counts <- lapply(canvass_levels, function(l) NULL)
for (x in names(canvass_levels)) {
  frame_counts[[x]] <- as.vector(table(factor(cases[[x]], levels = canvass_levels[[x]])))
  resp[[x]] <- factor(resp[[x]], levels = canvass_levels[[x]])
}
canvass_rake <- rake_case("canvass", svydesign(ids = ~1, weights = ~w0, data = resp),
                          canvass_levels, frame_counts)

# Weighted estimates ---------------------------------------------------------------

# A confint row of a svystat: the normal interval R reports.
estimates <- function(stat, group = "", names = NULL) {
  ci <- confint(stat)
  lapply(seq_along(coef(stat)), function(k) list(
    group = group, category = if (is.null(names)) "" else names[k],
    estimate = unname(coef(stat)[k]), se = unname(SE(stat)[k]),
    lo = unname(ci[k, 1]), hi = unname(ci[k, 2])))
}

# y's mean overall and by group (svymean, svyby), and the proportions of
# the categories of cat, overall and, with by_group, within each group.
mean_case <- function(name, design, y, group, cat, levels, by_group) {
  d <- design$variables
  present <- !is.na(d[[y]])
  overall <- svymean(reformulate(y), design, na.rm = TRUE)
  by <- svyby(reformulate(y), reformulate(group), design, svymean, na.rm = TRUE)
  groups <- as.character(by[[group]])
  ci <- confint(by)
  counts <- function(keep) list(n = sum(keep), sum_weights = sum(weights(design)[keep]))
  means <- c(
    list(c(estimates(overall)[[1]], counts(present))),
    lapply(seq_along(groups), function(k) c(
      list(group = groups[k], category = "", estimate = unname(coef(by)[k]),
           se = unname(SE(by)[k]), lo = unname(ci[k, 1]), hi = unname(ci[k, 2])),
      counts(present & d[[group]] == groups[k]))))

  design <- update(design, category = factor(d[[cat]], levels = levels))
  props <- estimates(svymean(~category, design, na.rm = TRUE), names = levels)
  if (by_group) {
    for (g in groups) {
      # subset keeps every cluster of the design, as svyby does: a domain.
      sub <- subset(design, d[[group]] == g)
      props <- c(props, estimates(svymean(~category, sub, na.rm = TRUE), group = g, names = levels))
    }
  }
  list(name = name, y = y, group = group, category_variable = cat,
       categories = I(levels), means = means, proportions = props)
}

api_design <- svydesign(ids = ~dnum, weights = ~pw, data = apiclus1)
resp$w <- as.numeric(canvass_rake$weights)
canvass_design <- svydesign(ids = ~city, weights = ~w, data = resp)

mean_cases <- list(
  c(mean_case("apiclus1", api_design, "api00", "stype", "stype", c("E", "H", "M"), FALSE),
    list(weights = "pw", cluster = "dnum")),
  c(mean_case("canvass", canvass_design, "provide_city_depts", "department",
              "provide_city_depts", as.character(0:4), TRUE),
    list(weights = "raked", cluster = "city"))
)

reference <- list(
  generated_by = "analysis/testdata/weights_reference.R",
  r_version = R.version.string,
  packages = list(survey = as.character(packageVersion("survey"))),
  propensity = propensity_cases,
  rake = list(c(api_rake, list(start = "pw")), c(canvass_rake, list(start = "N/n"))),
  means = mean_cases
)
write_json(reference, "weights_reference.json", auto_unbox = TRUE, digits = NA, pretty = TRUE)
