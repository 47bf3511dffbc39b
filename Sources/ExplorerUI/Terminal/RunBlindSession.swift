import SAEKit

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

/// Runs the blind A/B screen full-screen until the rater quits; returns the exit code (0).
///
/// Same guarantees as `runExplorer`: never starts ncurses unless stdin and stdout are terminals
/// (throws `ExplorerError.notATerminal`), and restores the terminal on every way out (normal quit,
/// a thrown error, SIGINT, SIGTERM, SIGHUP, SIGQUIT or a fatal signal). Every answer is on disk
/// before the screen shows it as saved, so quitting at any moment loses nothing recorded.
public func runBlindSession(source: any FeatureSource, session: BlindSession, options: BlindOptions = BlindOptions()) throws -> Int32 {
    guard isInteractiveTerminal() else { throw ExplorerError.notATerminal }
    let terminal = try NcursesTerminal(colorMode: options.colorMode, forceASCII: options.asciiOnly)
    defer { terminal.shutdown() }
    let screen = try BlindLabellingSession(source: source, session: session, size: terminal.size, asciiOnly: terminal.asciiOnly)
    while true {
        terminal.draw(screen.frame())
        if screen.shouldQuit { break }
        if screen.hasPendingEffects {
            screen.runEffects()
            continue
        }
        guard let key = terminal.readKey(timeoutMilliseconds: NcursesTerminal.idleWakeMilliseconds) else { continue }
        if key == .resize {
            screen.resize(terminal.size)
            terminal.invalidate()
            continue
        }
        screen.handle(key)
    }
    return 0
}
