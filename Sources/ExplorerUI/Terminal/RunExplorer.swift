import SAEKit

/// Runs the explorer full-screen until the user quits.
///
/// Never starts ncurses unless stdin and stdout are terminals (throws `TerminalError.notATerminal`).
/// The terminal is restored on every way out (see `withTerminal`).
public func runExplorer(source: any FeatureSource, labels: (any LabelBook)?, options: ExplorerOptions) throws {
    try withTerminal(
        colorMode: options.colorMode, asciiOnly: options.asciiOnly, program: "the explorer",
        alternative: "for text output use saex analyze CACHE or saex contexts CACHE"
    ) { size, asciiOnly in
        var o = options
        o.asciiOnly = asciiOnly
        return ExplorerSession(source: source, labels: labels, options: o, size: size)
    }
}

/// What the executable passes to `runBlindSession`.
public struct BlindOptions {
    public var colorMode: ColorMode
    /// Force ASCII drawing characters (nil: decide from the locale's codeset).
    public var asciiOnly: Bool?

    public init(colorMode: ColorMode = .auto, asciiOnly: Bool? = nil) {
        self.colorMode = colorMode
        self.asciiOnly = asciiOnly
    }
}

/// Runs the blind A/B screen full-screen until the rater quits. Same guarantees as `runExplorer`;
/// every answer is on disk before the screen shows it as saved, so quitting at any moment loses
/// nothing recorded. `alternative` names the command that prints the results as text.
public func runBlindSession(
    source: any FeatureSource, session: BlindSession, options: BlindOptions = BlindOptions(),
    alternative: String
) throws {
    try withTerminal(colorMode: options.colorMode, asciiOnly: options.asciiOnly, program: "blind labelling", alternative: alternative) {
        size, asciiOnly in
        try BlindLabellingSession(source: source, session: session, size: size, asciiOnly: asciiOnly)
    }
}
