import CNcursesw
import Glibc

/// The ncursesw backend: owns the terminal, draws only the cells that changed since the last frame,
/// maps roles to colour pairs and decodes key codes. The only type that talks to ncurses.
final class NcursesTerminal {
    private var previous: ScreenBuffer?
    private var screen: OpaquePointer?
    let theme: Theme
    let asciiOnly: Bool
    /// The locale's codeset is UTF-8, so ncurses decodes typed characters (wget_wch). Otherwise
    /// (LC_ALL=C, a Latin-1 locale) saex reads bytes and decodes UTF-8 itself: wget_wch would drop
    /// every non-ASCII character the terminal sends (`café` arrived as `caf`).
    private let localeIsUTF8: Bool
    /// Input read ahead and given back (the end of a paste, a key after it).
    private var pending: [Input] = []
    private var attributes: [StyleRole: (attr_t, Int16)] = [:]

    init(colorMode: ColorMode, forceASCII: Bool?) throws {
        setlocale(LC_ALL, "")
        let codeset = String(cString: nl_langinfo(nl_item(CODESET)))
        localeIsUTF8 = codeset.uppercased().replacingOccurrences(of: "-", with: "") == "UTF8"
        asciiOnly = forceASCII ?? !localeIsUTF8
        TerminalGuard.saveModes()
        let term = getenv("TERM").map { String(cString: $0) } ?? "(unset)"
        guard let screen = newterm(nil, saex_stdout_file(), saex_stdin_file()) else {
            throw TerminalError.terminalUnavailable(term)
        }
        set_term(screen)
        // A terminal that cannot move the cursor (TERM=dumb) would get one unusable line.
        let cup = "cup".withCString { tigetstr(UnsafeMutablePointer(mutating: $0)) }
        guard let cup, Int(bitPattern: cup) != -1 else {
            endwin()
            delscreen(screen)
            throw TerminalError.terminalUnavailable(term)
        }
        self.screen = screen
        TerminalGuard.install()
        raw()
        noecho()
        nonl()
        keypad(saex_stdscr(), true)
        if !localeIsUTF8 { meta(saex_stdscr(), true) }  // all 8 bits of each byte: saex decodes UTF-8 itself
        set_escdelay(25)
        curs_set(0)
        let noColor = (getenv("NO_COLOR").map { String(cString: $0) } ?? "").isEmpty == false
        let hasColors = has_colors()
        if hasColors && !noColor && colorMode != .monochrome {
            start_color()
            use_default_colors()
        }
        theme = Theme.choose(colorMode, noColor: noColor, hasColors: hasColors, colors: Int(saex_colors()))
        var pair: Int16 = 1
        for role in StyleRole.all {
            let style = theme.style(role)
            var attr = saex_a_normal()
            if style.bold { attr |= saex_a_bold() }
            if style.reverse { attr |= saex_a_reverse() }
            if style.underline { attr |= saex_a_underline() }
            if style.dim { attr |= saex_a_dim() }
            if theme != .monochrome, style.foreground != -1 || style.background != -1 {
                init_pair(pair, Int16(style.foreground), Int16(style.background))
                attributes[role] = (attr, pair)
                pair += 1
            } else {
                attributes[role] = (attr, 0)
            }
        }
    }

    var size: TerminalSize { TerminalSize(width: Int(saex_cols()), height: Int(saex_lines())) }

    /// Forgets the previous frame so the next draw repaints everything (after a resize).
    func invalidate() {
        previous = nil
        wclear(saex_stdscr())
    }

    func draw(_ frame: ScreenBuffer) {
        let full = previous == nil || previous?.width != frame.width || previous?.height != frame.height
        if full { werase(saex_stdscr()) }
        for y in 0..<frame.height {
            var first = -1, last = -1
            for x in 0..<frame.width where full || previous?[x, y] != frame[x, y] {
                if first < 0 { first = x }
                last = x
            }
            guard first >= 0 else { continue }
            if first > 0, frame[first, y].width == 0 { first -= 1 }  // start on the wide glyph, not its tail
            last = min(frame.width - 1, last + 1)
            for x in first...last {
                let cell = frame[x, y]
                if cell.width == 0 { continue }
                put(cell, x: x, y: y)
            }
        }
        if let cursor = frame.cursor {
            curs_set(1)
            wmove(saex_stdscr(), Int32(cursor.y), Int32(cursor.x))
        } else {
            curs_set(0)
        }
        wrefresh(saex_stdscr())
        previous = frame
    }

    private func put(_ cell: Cell, x: Int, y: Int) {
        var chars: [wchar_t] = cell.text.unicodeScalars.prefix(5).map { wchar_t(bitPattern: $0.value) }
        if chars.isEmpty { chars = [32] }
        chars.append(0)
        let (attr, pair) = attributes[cell.role] ?? (saex_a_normal(), 0)
        var cc = cchar_t()
        setcchar(&cc, chars, attr, pair, nil)
        mvwadd_wch(saex_stdscr(), Int32(y), Int32(x), &cc)
    }

    /// How often an idle event loop wakes to notice a resize whose signal went to another thread.
    static let idleWakeMilliseconds: Int32 = 250

    /// One unit of input: a function key's code, or a Unicode scalar.
    enum Input: Equatable {
        case function(Int32)
        case scalar(UInt32)
    }

    /// The next input within `timeoutMilliseconds` (-1: forever, 0: only what has arrived); nil on timeout.
    private func nextInput(timeoutMilliseconds: Int32) -> Input? {
        if !pending.isEmpty { return pending.removeFirst() }
        wtimeout(saex_stdscr(), timeoutMilliseconds)
        if localeIsUTF8 {
            var ch: wint_t = 0
            let status = wget_wch(saex_stdscr(), &ch)
            if status == saex_key_code_yes() { return .function(Int32(bitPattern: ch)) }
            return status == OK ? .scalar(ch) : nil
        }
        let c = wgetch(saex_stdscr())
        if c == saex_err() { return nil }
        if c > 0xFF { return .function(c) }
        return .scalar(decodeUTF8(lead: UInt8(truncatingIfNeeded: c)))
    }

    /// Reads the continuation bytes of a UTF-8 sequence that starts with `lead` (they arrive with
    /// it; a byte that is not one is given back). An invalid sequence is U+FFFD.
    private func decodeUTF8(lead: UInt8) -> UInt32 {
        let more =
            lead < 0x80 ? 0 : lead >= 0xC2 && lead <= 0xDF ? 1 : lead >= 0xE0 && lead <= 0xEF ? 2 : lead >= 0xF0 && lead <= 0xF4 ? 3 : -1
        guard more >= 0 else { return 0xFFFD }
        var bytes = [lead]
        wtimeout(saex_stdscr(), 50)
        for _ in 0..<more {
            let c = wgetch(saex_stdscr())
            guard c != saex_err() else { break }
            guard c <= 0xFF, c & 0xC0 == 0x80 else {
                pending.append(c > 0xFF ? .function(c) : .scalar(UInt32(c)))
                break
            }
            bytes.append(UInt8(c))
        }
        return String(decoding: bytes, as: UTF8.self).unicodeScalars.first?.value ?? 0xFFFD
    }

    /// Waits up to `timeoutMilliseconds` (-1: forever) for the next key; nil on timeout. Printable
    /// characters that arrive together (a paste) come back as one `.paste`.
    func readKey(timeoutMilliseconds: Int32 = -1) -> Key? {
        guard let input = nextInput(timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        guard case .scalar(let ch) = input else {
            if case .function(let code) = input { return Self.functionKey(code) }
            return nil
        }
        guard let key = Key.fromCharacter(wint_t(ch)) else { return nil }
        guard case .char(let first) = key else { return key }
        var text = String(first)
        while text.unicodeScalars.count < 65_536 {
            guard let next = nextInput(timeoutMilliseconds: 0) else { break }
            guard case .scalar(let value) = next else {
                pending.insert(next, at: 0)
                break
            }
            // Tabs and line breaks inside a burst belong to the pasted text (notes may hold newlines).
            let inText = value == 9 || value == 10 || value == 13
            if (value < 32 && !inText) || value == 127 {
                pending.insert(next, at: 0)
                break
            }
            guard let scalar = Unicode.Scalar(value) else { break }
            text.unicodeScalars.append(scalar)
        }
        // A line break ending the burst is the user's Enter, not part of the paste.
        if let last = text.unicodeScalars.last, last == "\n" || last == "\r", text.unicodeScalars.count > 1 {
            text.unicodeScalars.removeLast()
            pending.insert(.scalar(last.value), at: 0)
        }
        return text.unicodeScalars.count == 1 ? key : .paste(text)
    }

    static func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: .up
        case KEY_DOWN: .down
        case KEY_LEFT: .left
        case KEY_RIGHT: .right
        case KEY_PPAGE: .pageUp
        case KEY_NPAGE: .pageDown
        case KEY_HOME: .home
        case KEY_END: .end
        case KEY_ENTER: .enter
        case KEY_BACKSPACE: .backspace
        case KEY_DC: .delete
        case KEY_BTAB: .backTab
        case saex_key_resize(): .resize
        case (KEY_F0 + 1)...(KEY_F0 + 12): .function(Int(code - KEY_F0))
        default: nil
        }
    }

    /// Suspends the program like any full-screen program on ctrl-z: gives the terminal back, stops
    /// (SIGTSTP), and on `fg` takes the terminal again (the caller redraws).
    func suspend() {
        endwin()
        TerminalGuard.restoreFromSignal()
        var previous = sigaction()
        var stop = sigaction()
        stop.__sigaction_handler.sa_handler = SIG_DFL
        sigemptyset(&stop.sa_mask)
        sigaction(SIGTSTP, &stop, &previous)
        raise(SIGTSTP)
        sigaction(SIGTSTP, &previous, nil)
        reset_prog_mode()
        wrefresh(saex_stdscr())
    }

    func shutdown() {
        guard let screen else { return }
        endwin()
        delscreen(screen)
        self.screen = nil
        TerminalGuard.uninstall()
    }

    deinit { shutdown() }
}
