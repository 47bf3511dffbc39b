import SAEKit

/// An in-memory label book for tests, the UI benchmark and its interactive mode.
public final class MemoryLabelBook: LabelBook {
    public var allLabels: [FeatureKey: FeatureLabel] = [:]

    public init() {}

    public func label(for key: FeatureKey) -> FeatureLabel? { allLabels[key] }

    public func setLabel(_ label: FeatureLabel?, for key: FeatureKey) throws {
        if let label, !label.isEmpty { allLabels[key] = label } else { allLabels[key] = nil }
    }
}
