/// A token shown on its own (list previews, neighbour lists): the one leading space that marks a
/// word start in WordPiece and byte-level vocabularies is dropped, since out of context it only
/// adds noise; any other whitespace stays (and is shown visibly by the renderer).
enum TokenPreview {
    static func trimmed(_ token: String) -> String {
        guard token.count > 1, token.first == " ", let second = token.dropFirst().first, !second.isWhitespace else { return token }
        return String(token.dropFirst())
    }
}
