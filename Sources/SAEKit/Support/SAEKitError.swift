/// The one error type saex shows to people.
///
/// Every error names what failed (`path`, and the tensor or field in `subject`), why (`reason`) and
/// what to do (`remedy`). `description` renders it as the single line the CLI prints; `exitCode`
/// follows the convention 1 = the operation failed, 2 = bad usage or bad input.
public struct SAEKitError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of failure this is; decides the exit code.
    public enum Code: String, Sendable {
        /// The input is malformed, inconsistent or not what was expected (exit 2).
        case badInput
        /// A named file or folder does not exist or cannot be read (exit 2).
        case notFound
        /// A well-formed input uses something saex does not support (exit 2).
        case unsupported
        /// The operating system refused an operation on a valid input (exit 1).
        case ioFailure
        /// Another process holds a resource (a labels file) (exit 1).
        case busy
    }

    public var code: Code
    /// The file or folder concerned, as the user gave it.
    public var path: String?
    /// The tensor, field or item inside `path`, if any.
    public var subject: String?
    /// What is wrong, in one clause.
    public var reason: String
    /// What the user can do about it, in one clause.
    public var remedy: String?

    public init(_ code: Code, path: String?, subject: String? = nil, reason: String, remedy: String? = nil) {
        self.code = code
        self.path = path
        self.subject = subject
        self.reason = reason
        self.remedy = remedy
    }

    /// Exit status for the command-line tool.
    public var exitCode: Int32 {
        switch code {
        case .badInput, .notFound, .unsupported: return 2
        case .ioFailure, .busy: return 1
        }
    }

    /// One line: `path: subject: reason; remedy`. Never contains a newline or a control character.
    ///
    /// Tensor names and paths come from files and the user: a name holding ESC could recolour or
    /// clear the terminal the error is printed to, and bidirectional overrides could disguise it.
    /// Newlines become spaces; other control characters and bidi controls are shown as `\u{1B}`.
    public var description: String {
        var parts: [String] = []
        if let path { parts.append(path) }
        if let subject { parts.append(subject) }
        parts.append(reason)
        var line = parts.joined(separator: ": ")
        if let remedy, !remedy.isEmpty { line += "; " + remedy }
        return TerminalText.escapedLine(line)
    }
}
