/// ExplorerUI: the explorer's pure core (state, actions, update, rendering into a screen buffer)
/// and, in `Terminal/`, the only code that talks to ncursesw.
///
/// Entry points for the executable: `isInteractiveTerminal()` and
/// `runExplorer(source:labels:options:)`. Tests and benchmarks drive `ExplorerSession` headlessly.
///
///     Key (Terminal/NcursesTerminal) -> KeyMap.action -> update(state, action) -> (state, [Effect])
///     Effect -> ExplorerSession (source reads on a worker, label saves on the main thread) -> Action
///     render(state, source, size) -> ScreenBuffer -> NcursesTerminal.draw (changed cells only)
public enum ExplorerUI {
    public static let name = "ExplorerUI"
}
