/// A per-feature quantity a table can sort by, with the field name `saex analyze` uses for it.
///
/// The raw values are the documented JSON/CSV field names (docs/ANALYSIS.md), so `--sort FIELD`
/// and the explorer's sort columns name the same thing. `label` exists in the explorer only (it
/// orders by the verdict of the labels shown there).
public enum FeatureColumn: String, CaseIterable, Sendable, Hashable {
    case feature
    case label
    case alpha
    case elasticity
    case normPearson = "norm_pearson"
    case normSpearman = "norm_spearman"
    case normPearsonActive = "norm_pearson_active"
    case normSpearmanActive = "norm_spearman_active"
    case topNormMass = "top_norm_mass"
    case normAUC = "norm_auc"
    case density
    case log10Density = "log10_density"
    case activeCount = "active_count"
    case maxActivation = "max_activation"
    case meanActivation = "mean_activation"
    case dead
    case normDetectorHint = "norm_detector_hint"
    case decoderNorm = "decoder_norm"
    case encoderNorm = "encoder_norm"
    case encoderDecoderCosine = "enc_dec_cos"
    case singleTokenConcentration = "single_token_concentration"
    case specialTokenConcentration = "special_token_concentration"
    case topTokens = "top_tokens"

    /// The direction a researcher wants first: highest first for scores, densities and
    /// activations; lowest first for the feature number, the label order and text.
    public var descendingByDefault: Bool {
        switch self {
        case .feature, .label, .topTokens: false
        default: true
        }
    }

    /// Columns `saex analyze --sort` accepts (every field but the text preview).
    public static let sortableFields: [FeatureColumn] = allCases.filter { $0 != .label && $0 != .topTokens }
}
