#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who is labelling: the name stamped as `author` (the rater) on labels made in this process.
public enum LabelAuthor {
    /// The first non-empty of: `explicit` (`--author`), `$SAEX_AUTHOR`, `$USER`, `$LOGNAME`, and the
    /// login name of the process's user in the password database; "" only when all are missing.
    public static func resolve(explicit: String?, environment: [String: String]) -> String {
        let candidates = [explicit, environment["SAEX_AUTHOR"], environment["USER"], environment["LOGNAME"], passwdName()]
        return candidates.lazy.compactMap { $0 }.first { !$0.isEmpty } ?? ""
    }

    /// The password database's name for the real user id (getpwuid_r), or nil.
    public static func passwdName() -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let rc = getpwuid_r(getuid(), &entry, &buffer, buffer.count, &result)
        guard rc == 0, result != nil, let name = entry.pw_name else { return nil }
        let text = String(cString: name)
        return text.isEmpty ? nil : text
    }
}
