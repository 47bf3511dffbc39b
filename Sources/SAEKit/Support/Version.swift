/// saex's version, shown by `--version` and written into exported files.
public enum SAEKitVersion {
    public static let string = "0.1.0"
}
