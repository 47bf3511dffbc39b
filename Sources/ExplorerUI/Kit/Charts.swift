extension ClosedRange {
    var bounds: (Bound, Bound) { (lowerBound, upperBound) }
}

/// Text charts: bars and a braille (or ASCII) scatter, each with labelled axes. They only draw:
/// the counts come from SAEKit's `Histogram`.
enum Charts {
    /// A vertical bar chart of `counts` with a y axis (max count) and x labels under it.
    static func bars(_ counts: [Int], height: Int, xLow: String, xHigh: String, title: String, symbols: Symbols, axes: String? = nil)
        -> [Line]
    {
        let top = counts.max() ?? 0
        let yLabel = Format.right(Format.axis(Double(top)), 6)
        var lines: [Line] = [[Span(title, .header)]]
        let rows = max(1, height)
        for row in 0..<rows {
            let level = rows - row  // rows ... 1
            var text = ""
            for c in counts {
                let eighths = top > 0 ? Int((Double(c) / Double(top) * Double(rows * 8)).rounded()) : 0
                let full = eighths - (level - 1) * 8
                if full >= 8 { text += symbols.bars[7] } else if full > 0 { text += symbols.bars[full - 1] } else { text += " " }
            }
            let axis = row == 0 ? yLabel : row == rows - 1 ? Format.right("0", 6) : String(repeating: " ", count: 6)
            lines.append([Span(axis + " " + symbols.vertical, .dim), Span(text, .mark)])
        }
        let axisWidth = counts.count
        let gap = max(1, axisWidth - xLow.count - xHigh.count)
        lines.append([
            Span(String(repeating: " ", count: 7) + symbols.corners.2 + String(repeating: symbols.horizontal, count: axisWidth), .dim)
        ])
        lines.append([Span(String(repeating: " ", count: 8) + xLow + String(repeating: " ", count: gap) + xHigh, .dim)])
        if let axes { lines.append([Span(String(repeating: " ", count: 8) + axes, .dim)]) }
        return lines
    }

    /// A scatter of (x, y) points; braille gives 2x4 dots per cell.
    /// `xRange`/`yRange` fix the axes (two scatters side by side on the same axes); by default
    /// they span the points (y from 0).
    static func scatter(
        xs: [Float], ys: [Float], width: Int, height: Int, xLabel: String, yLabel: String, title: String, symbols: Symbols,
        xRange: ClosedRange<Float>? = nil, yRange: ClosedRange<Float>? = nil
    ) -> [Line] {
        let n = min(xs.count, ys.count)
        let (xMin, xMax) = (xRange ?? span(xs.prefix(n), floor: nil)).bounds
        let (yMin, yMax) = (yRange ?? span(ys.prefix(n), floor: 0)).bounds
        let dotsX = symbols.brailleScatter ? 2 : 1, dotsY = symbols.brailleScatter ? 4 : 1
        let w = max(1, width), h = max(1, height)
        var grid = Array(repeating: UInt8(0), count: w * h)
        let bit: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]
        for i in 0..<n where xs[i].isFinite && ys[i].isFinite {
            let tx = xMax > xMin ? (xs[i] - xMin) / (xMax - xMin) : 0.5
            let ty = yMax > yMin ? (ys[i] - yMin) / (yMax - yMin) : 0.5
            let px = max(0, min(w * dotsX - 1, Int(tx * Float(w * dotsX - 1))))
            let py = max(0, min(h * dotsY - 1, Int((1 - ty) * Float(h * dotsY - 1))))
            let cell = (py / dotsY) * w + px / dotsX
            grid[cell] |= symbols.brailleScatter ? bit[px % 2][py % 4] : 1
        }
        var lines: [Line] = [[Span(title, .header)]]
        for row in 0..<h {
            var text = ""
            for col in 0..<w {
                let b = grid[row * w + col]
                if symbols.brailleScatter {
                    text += b == 0 ? " " : String(Unicode.Scalar(0x2800 + UInt32(b)) ?? " ")
                } else {
                    text += b == 0 ? " " : "*"
                }
            }
            let axis =
                row == 0
                ? Format.right(Format.axis(Double(yMax)), 6)
                : row == h - 1
                    ? Format.right(Format.axis(Double(yMin)), 6)
                    : String(repeating: " ", count: 6)
            lines.append([Span(axis + " " + symbols.vertical, .dim), Span(text, .mark)])
        }
        lines.append([Span(String(repeating: " ", count: 7) + symbols.corners.2 + String(repeating: symbols.horizontal, count: w), .dim)])
        let lo = Format.axis(Double(xMin)), hi = Format.axis(Double(xMax))
        let gap = max(1, w - lo.count - hi.count)
        lines.append([Span(String(repeating: " ", count: 8) + lo + String(repeating: " ", count: gap) + hi, .dim)])
        lines.append([Span(String(repeating: " ", count: 8) + "x: \(xLabel), y: \(yLabel)", .dim)])
        return lines
    }

    /// The range of the finite values (from `floor` when given and lower), [0, 1] when there are none.
    static func span(_ values: some Sequence<Float>, floor: Float?) -> ClosedRange<Float> {
        let finite = values.filter(\.isFinite)
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if let floor { lo = min(lo, floor) }
        if hi < lo { hi = lo }
        return lo...hi
    }
}
