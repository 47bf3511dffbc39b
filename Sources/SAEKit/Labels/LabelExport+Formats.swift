import Foundation

extension LabelExport {
    /// The CSV header, in column order.
    public static let csvColumns = [
        "dictionary", "fingerprint", "feature", "verdict", "concept", "notes", "rating", "author",
        "created", "updated", "provenance", "alpha", "elasticity", "norm_pearson", "norm_spearman", "density"
    ]

    /// The labels as RFC 4180 CSV: a header row, CRLF line ends, fields as `CSV.field` writes them
    /// (control characters escaped, quoted when they contain a comma or quote). Unknown values are
    /// empty fields.
    ///
    /// Other text is written as stored, so a concept starting with `=` is not defused for
    /// spreadsheets; open the file as text data when that matters.
    public func csv() -> String {
        var out = LabelExport.csvColumns.map(CSV.field).joined(separator: ",") + "\r\n"
        func num(_ d: Double?) -> String { d.map { "\($0)" } ?? "" }
        for e in labels {
            let row = [
                e.dictionary ?? "", e.fingerprint, String(e.feature), e.verdict?.rawValue ?? "", e.concept, e.notes,
                e.rating?.rawValue ?? "", e.author, e.created, e.updated, e.provenance.rawValue,
                num(e.stats?.alpha), num(e.stats?.elasticity),
                num(e.stats?.normPearson), num(e.stats?.normSpearman), num(e.stats?.density)
            ]
            out += row.map(CSV.field).joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// Explanation rows for Neuronpedia, one per label with a non-empty concept whose dictionary has
    /// a target in `targets` (keyed by fingerprint); the rest are counted in `skipped`.
    public func neuronpediaExplanations(targets: [String: NeuronpediaTarget]) -> NeuronpediaExplanations {
        var rows: [NeuronpediaExplanation] = []
        var skipped = 0
        for e in labels {
            guard let t = targets[e.fingerprint], !e.concept.isEmpty else {
                skipped += 1
                continue
            }
            rows.append(NeuronpediaExplanation(modelId: t.modelId, layer: t.source, index: String(e.feature), description: e.concept))
        }
        return NeuronpediaExplanations(rows: rows, skipped: skipped)
    }
}

/// RFC 4180 field quoting, for every CSV saex writes (labels, `saex analyze --format csv`).
public enum CSV {
    /// `text` as one CSV field. Control characters (C0 including tab, CR and LF, DEL, C1) and bidi
    /// controls are written as `\u{1B}` (TerminalText.escapedControls), so a field never breaks the
    /// line or acts on a terminal; then the field is quoted (quotes doubled) when it holds `,` or `"`.
    public static func field(_ text: String) -> String {
        let text = TerminalText.escapedControls(text)
        let needsQuotes = text.utf8.contains { $0 == 0x2C || $0 == 0x22 }
        guard needsQuotes else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Where a dictionary lives on Neuronpedia: the model id and the source (layer/SAE) id.
public struct NeuronpediaTarget: Sendable, Equatable {
    /// e.g. "gpt2-small".
    public var modelId: String
    /// e.g. "6-res-jb".
    public var source: String

    public init(modelId: String, source: String) {
        self.modelId = modelId
        self.source = source
    }
}

/// One explanation row in Neuronpedia's upload/export shape.
public struct NeuronpediaExplanation: Codable, Sendable, Equatable {
    public var modelId: String
    /// The source (SAE) id, Neuronpedia's `layer` field.
    public var layer: String
    /// The feature index as a decimal string.
    public var index: String
    /// The concept.
    public var description: String
}

/// The rows of a Neuronpedia export and how many labels had no target or no concept.
public struct NeuronpediaExplanations: Sendable, Equatable {
    public var rows: [NeuronpediaExplanation]
    public var skipped: Int

    /// A JSON array of the rows (sorted keys, pretty-printed), ending in a newline.
    public func jsonData() throws -> Data {
        try PrettyJSON.document(rows)
    }
}
