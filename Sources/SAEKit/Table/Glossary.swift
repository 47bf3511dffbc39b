import Foundation

/// One term of the glossary: a column, marker or score and what it means.
public struct GlossaryEntry: Sendable, Equatable {
    public var term: String
    public var meaning: String
}

/// What every column, marker and score saex shows means, in a line each. The explorer's help
/// overlay and docs/ANALYSIS.md (between its GLOSSARY markers, checked by a test) read this table.
public enum Glossary {
    public static var entries: [GlossaryEntry] {
        let r = NormDetectorRule.standard
        func t(_ v: Float) -> String { String(format: "%.2f", Double(v)) }
        return [
            GlossaryEntry(
                term: "alpha",
                meaning:
                    "learned magnitude exponent of a cosine-scored feature: along its direction the activation grows as ‖u‖^alpha (1 for inner-product dictionaries)"
            ),
            GlossaryEntry(
                term: "elast",
                meaning:
                    "measured magnitude elasticity: mean over active tokens of d log(pre) / d log(s) when x is scaled by s (1 for a bias-free inner product, alpha for a bias-free cosine feature)"
            ),
            GlossaryEntry(
                term: "ρ(act)",
                meaning: "Spearman correlation of the activation with the input norm ‖x‖ over the tokens where the feature fires"),
            GlossaryEntry(term: "r(act)", meaning: "the same as a Pearson correlation"),
            GlossaryEntry(term: "density", meaning: "share of the cached (non-padding) tokens on which the feature fires"),
            GlossaryEntry(term: "max", meaning: "the feature's largest activation on the cached tokens"),
            GlossaryEntry(
                term: "top-norm mass",
                meaning:
                    "share of the feature's activation mass on the 1% of tokens with the largest ‖x‖ (about 0.01 when the norm does not matter)"
            ),
            GlossaryEntry(
                term: "norm AUC",
                meaning: "probability that a token the feature fires on has a larger ‖x‖ than one it does not fire on (0.5: no preference)"),
            GlossaryEntry(
                term: "~n",
                meaning:
                    "norm-detector hint (a hint, never a label): active on at least \(r.minimumActive) tokens and top-norm mass ≥ \(t(r.topNormMassThreshold)), or ρ(act) ≥ \(t(r.activeSpearmanThreshold)) with norm AUC ≥ \(t(r.aucThreshold))"
            ),
            GlossaryEntry(
                term: "INT NORM UNIN POLY ?",
                meaning: "your verdict: interpretable, norm detector, uninterpretable, polysemantic, unsure; * a label with no verdict"),
            GlossaryEntry(term: "cos", meaning: "decoder cosine: the cosine between two features' decoder directions"),
            GlossaryEntry(
                term: "corr",
                meaning:
                    "activation correlation: Pearson correlation of two features' activations over the cached tokens (n/a when they never fire together)"
            ),
            GlossaryEntry(term: "both", meaning: "combined match score: the mean of cos and corr (an unknown corr counts as 0)"),
            GlossaryEntry(term: "mutual ↔", meaning: "each feature is the other's best match under the ranking shown"),
            GlossaryEntry(
                term: "αA elA ρA densA",
                meaning: "pairs screen: alpha, elasticity, ρ(act) and density of A's feature; the B columns the same for its match"),
            GlossaryEntry(
                term: "A~ ~B A~B",
                meaning:
                    "pairs screen: the norm-detector hint fired on A's feature only, on its match only, or on both (highlighted when one side only)"
            ),
            GlossaryEntry(
                term: "only in A",
                meaning: "a feature whose best match in the other dictionary scores below \(t(PairTable.defaultUnmatchedBelow))"),
            GlossaryEntry(
                term: "interpretable",
                meaning: "share of the labelled features (with a verdict) judged interpretable, with its 95% Wilson interval"),
            GlossaryEntry(
                term: "difference",
                meaning: "A minus B, with a 95% percentile bootstrap interval (10,000 resamples) and Fisher's exact test"),
            GlossaryEntry(term: "mean L0", meaning: "average number of features active per cached token"),
            GlossaryEntry(
                term: "FVU",
                meaning: "fraction of variance unexplained by the reconstruction over the cached tokens: "
                    + "Σ‖x − x̂‖² / Σ‖x − mean(x)‖² (0 is perfect; where the cache records it)")
        ]
    }

    /// The glossary as a Markdown table (docs/ANALYSIS.md holds a copy a test keeps current).
    public static func markdown() -> String {
        var out = "| term | meaning |\n|---|---|\n"
        for e in entries { out += "| `\(e.term)` | \(e.meaning) |\n" }
        return out
    }
}
