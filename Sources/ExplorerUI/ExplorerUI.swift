/// ExplorerUI: the explorer's pure core (state, actions, update, rendering into a screen buffer)
/// and, in `Terminal/`, the only code that talks to ncursesw.
public enum ExplorerUI {
    public static let name = "ExplorerUI"
}
