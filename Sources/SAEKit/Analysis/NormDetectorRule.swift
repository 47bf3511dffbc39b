/// The documented rule that marks a feature as a likely norm detector (a hint, never a label).
///
/// Fires when the feature has at least `minimumActive` (10) active tokens and either
/// - `topNormMass >= topNormMassThreshold`: most of its activation mass sits on the 1% of tokens
///   with the largest input norm (chance level is about 0.01), or
/// - `normSpearmanActive >= activeSpearmanThreshold` and `normAUC >= aucThreshold`: when active,
///   its magnitude rises with the norm, and it fires preferentially on high-norm tokens.
/// The all-token Spearman is deliberately not used: at density p its zero ties cap it near
/// sqrt(3p(1-p)) (0.30 at p = 3%). docs/ANALYSIS.md justifies the thresholds.
public struct NormDetectorRule: Sendable, Equatable, Codable {
    public var minimumActive: Int
    public var topNormMassThreshold: Float
    public var activeSpearmanThreshold: Float
    public var aucThreshold: Float

    public init(
        minimumActive: Int = 10, topNormMassThreshold: Float = 0.5, activeSpearmanThreshold: Float = 0.5, aucThreshold: Float = 0.75
    ) {
        self.minimumActive = minimumActive
        self.topNormMassThreshold = topNormMassThreshold
        self.activeSpearmanThreshold = activeSpearmanThreshold
        self.aucThreshold = aucThreshold
    }

    /// The rule saex uses.
    public static let standard = NormDetectorRule()

    /// Whether the rule fires for these statistics (never when the norm statistics are unknown).
    public func fires(_ s: NormStatistics) -> Bool {
        fires(activeCount: s.activeCount, topNormMass: s.topNormMass, normSpearmanActive: s.normSpearmanActive, normAUC: s.normAUC)
    }

    public func fires(activeCount: Int, topNormMass: Float?, normSpearmanActive: Float?, normAUC: Float?) -> Bool {
        guard activeCount > 0, activeCount >= minimumActive else { return false }
        if let m = topNormMass, m >= topNormMassThreshold { return true }
        if let r = normSpearmanActive, let auc = normAUC, r >= activeSpearmanThreshold, auc >= aucThreshold { return true }
        return false
    }
}
