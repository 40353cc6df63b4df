# Reference values for analysis/efa and analysis/cor, computed with R's psych.
#
#   cd analysis/testdata && Rscript efa_reference.R
#
# Writes the datasets (bfi.csv, holzinger.csv, harman74_cor.csv) and the
# numbers the Go tests compare against (efa_reference.json). The Go tests need
# no R; rerun this only to refresh the references (note the package versions
# recorded in the JSON).
suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
  library(jsonlite)
})
options(warn = 1)

bfi <- psychTools::bfi[, 1:25]
data(HolzingerSwineford1939, package = "lavaan")
hs <- HolzingerSwineford1939[, paste0("x", 1:9)]
harman <- Harman74.cor$cov

write.csv(bfi, "bfi.csv", row.names = FALSE, na = "NA")
write.csv(hs, "holzinger.csv", row.names = FALSE)
write.csv(harman, "harman74_cor.csv", row.names = FALSE)

# Read the CSVs back so that R works on exactly the numbers Go reads.
bfi <- read.csv("bfi.csv")
hs <- read.csv("holzinger.csv")
harman <- as.matrix(read.csv("harman74_cor.csv"))
rownames(harman) <- colnames(harman)

# Vectors stay JSON arrays even when they have one element (I() stops auto_unbox).
v <- function(x) I(as.numeric(x))
mat <- function(m) unname(lapply(seq_len(nrow(m)), function(i) v(m[i, ])))

fa_case <- function(name, data, nfactors, fm, rotate, n.obs = NA) {
  f <- fa(data, nfactors = nfactors, fm = fm, rotate = rotate, n.obs = n.obs)
  list(
    dataset = name, factors = nfactors, fm = fm, rotate = rotate,
    n = f$n.obs,
    loadings = mat(unclass(f$loadings)),
    phi = if (is.null(f$Phi)) NULL else mat(f$Phi),
    communalities = v(f$communality),
    uniquenesses = v(f$uniquenesses),
    complexity = v(f$complexity),
    eigenvalues = v(f$e.values),
    common_eigenvalues = v(f$values),
    ss_loadings = v(f$Vaccounted["SS loadings", ]),
    objective = f$objective, chi2 = f$STATISTIC, df = f$dof, p = f$PVAL,
    rmsea = v(f$RMSEA[1:3]), tli = f$TLI, bic = f$BIC, rmsr = f$rms,
    score_r2 = v(f$R2)
  )
}

datasets <- list(
  list(name = "bfi", data = bfi, factors = 5, n.obs = NA),
  list(name = "holzinger", data = hs, factors = 3, n.obs = NA),
  list(name = "harman74", data = harman, factors = 4, n.obs = 145)
)
cases <- list()
for (d in datasets) {
  for (fm in c("minres", "ml", "pa")) {
    for (rotate in c("none", "varimax", "quartimax", "promax", "oblimin")) {
      cases[[length(cases) + 1]] <- fa_case(d$name, d$data, d$factors, fm, rotate, d$n.obs)
    }
  }
}
# One-factor and listwise cases: listwise is psych on the complete rows.
cases[[length(cases) + 1]] <- fa_case("holzinger", hs, 1, "minres", "oblimin")
listwise <- fa_case("bfi_complete", na.omit(bfi), 5, "minres", "oblimin")
poly_fa <- fa(bfi, nfactors = 5, cor = "poly")
polychoric_fa <- list(dataset = "bfi", factors = 5, fm = "minres", rotate = "oblimin",
                      loadings = mat(unclass(poly_fa$loadings)), chi2 = poly_fa$STATISTIC,
                      rmsr = poly_fa$rms)

adequacy <- function(name, data, n) {
  r <- if (nrow(data) == ncol(data)) data else cor(data, use = "pairwise")
  k <- KMO(r)
  b <- cortest.bartlett(r, n = n)
  list(dataset = name, kmo = k$MSA, kmo_items = as.numeric(k$MSAi),
       bartlett_chi2 = b$chisq, bartlett_df = b$df, bartlett_p = b$p.value,
       map = vss(r, n = 8, n.obs = n, plot = FALSE)$map)
}

scores <- function(method) {
  f <- fa(hs, nfactors = 3, scores = method)
  list(method = method, weights = mat(f$weights), first_rows = mat(f$scores[1:10, ]))
}

set.seed(20240601)
pa <- fa.parallel(bfi, fm = "minres", fa = "both", n.iter = 20, plot = FALSE)
bfi_cor <- cor(bfi, use = "pairwise")
poly <- polychoric(bfi[, 1:10])

out <- list(
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                  GPArotation = as.character(packageVersion("GPArotation"))),
  fa = cases,
  listwise = listwise,
  polychoric_fa = polychoric_fa,
  adequacy = list(adequacy("bfi", bfi, nrow(bfi)), adequacy("holzinger", hs, nrow(hs)),
                  adequacy("harman74", harman, 145)),
  scores = list(scores("regression"), scores("Bartlett")),
  parallel = list(dataset = "bfi", n_iter = 20, nfact = pa$nfact, ncomp = pa$ncomp,
                  fa_values = pa$fa.values, pc_values = pa$pc.values,
                  sim_fa = pa$fa.sim, sim_pc = pa$pc.sim,
                  sim_fa_sd = apply(pa$values[, 76:100], 2, sd),
                  sim_pc_sd = apply(pa$values[, 51:75], 2, sd),
                  # One-factor minres on random data lands in a Heywood
                  # solution now and then, so factor values are compared by
                  # their median.
                  sim_fa_median = apply(pa$values[, 76:100], 2, median),
                  sim_fa_mad = apply(pa$values[, 76:100], 2, mad)),
  cor_pairwise = list(dataset = "bfi", r = mat(bfi_cor), n = mat(pairwiseCount(bfi))),
  polychoric = list(dataset = "bfi", items = colnames(bfi)[1:10], rho = mat(poly$rho),
                    tau = mat(poly$tau))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", null = "null"),
           "efa_reference.json")
