/// How one role looks: colours (terminal palette indices, -1 = default) and attributes.
public struct RoleStyle: Equatable, Sendable {
    public var foreground: Int
    public var background: Int
    public var bold = false
    public var reverse = false
    public var underline = false
    public var dim = false

    public init(
        _ foreground: Int = -1, _ background: Int = -1, bold: Bool = false, reverse: Bool = false, underline: Bool = false,
        dim: Bool = false
    ) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
        self.dim = dim
    }
}

/// Colour roles to styles, htop-style: one table per terminal capability, and a monochrome scheme
/// (bold/reverse/underline only) for NO_COLOR or terminals without colour.
public enum Theme: String, Sendable, CaseIterable {
    case color256, color8, monochrome

    public func style(_ role: StyleRole) -> RoleStyle {
        switch self {
        case .color256:
            switch role {
            case .normal: return RoleStyle()
            case .header: return RoleStyle(231, 24, bold: true)
            case .selected: return RoleStyle(16, 153)
            case .dim: return RoleStyle(245)
            case .peak: return RoleStyle(16, 226, bold: true, underline: true)
            case .warning: return RoleStyle(214, bold: true)
            case .hint: return RoleStyle(109)
            case .mark: return RoleStyle(114, bold: true)
            case .ramp(let level):
                // Dark to bright orange backgrounds; dark text on the bright end.
                let backgrounds = [236, 238, 58, 94, 130, 166, 202, 208]
                let l = max(0, min(7, level))
                return RoleStyle(l >= 6 ? 16 : 231, backgrounds[l])
            }
        case .color8:
            switch role {
            case .normal: return RoleStyle()
            case .header: return RoleStyle(7, 4, bold: true)
            case .selected: return RoleStyle(0, 6)
            case .dim: return RoleStyle(dim: true)
            case .peak: return RoleStyle(0, 3, bold: true, underline: true)
            case .warning: return RoleStyle(3, bold: true)
            case .hint: return RoleStyle(6)
            case .mark: return RoleStyle(2, bold: true)
            case .ramp(let level):
                switch max(0, min(7, level)) {
                case 0...1: return RoleStyle(dim: true)
                case 2...3: return RoleStyle(3)
                case 4...5: return RoleStyle(1, bold: true)
                default: return RoleStyle(7, 1, bold: true)
                }
            }
        case .monochrome:
            switch role {
            case .normal: return RoleStyle()
            case .header: return RoleStyle(reverse: true)
            case .selected: return RoleStyle(bold: true, reverse: true)
            case .dim: return RoleStyle(dim: true)
            case .peak: return RoleStyle(bold: true, reverse: true, underline: true)
            case .warning: return RoleStyle(bold: true)
            case .hint: return RoleStyle(dim: true)
            case .mark: return RoleStyle(bold: true)
            case .ramp(let level):
                switch max(0, min(7, level)) {
                case 0...3: return RoleStyle()
                case 4...5: return RoleStyle(underline: true)
                default: return RoleStyle(bold: true, underline: true)
                }
            }
        }
    }

    /// Chooses a theme from the requested mode, the environment and the terminal's colour count.
    public static func choose(_ mode: ColorMode, noColor: Bool, hasColors: Bool, colors: Int) -> Theme {
        switch mode {
        case .monochrome: return .monochrome
        case .color8: return hasColors ? .color8 : .monochrome
        case .color256: return hasColors ? (colors >= 256 ? .color256 : .color8) : .monochrome
        case .auto:
            if noColor || !hasColors { return .monochrome }
            return colors >= 256 ? .color256 : .color8
        }
    }
}

/// How the terminal shows style roles.
public enum ColorMode: String, Sendable, CaseIterable {
    /// 256 colours when the terminal has them, else 8, else monochrome; monochrome when NO_COLOR is set.
    case auto
    case color256
    case color8
    case monochrome
}
