/// Every way a safetensors file can fail validation, one case each.
///
/// The rules follow the reference implementation (huggingface/safetensors `read_metadata` and
/// `validate`); docs/FORMATS.md lists them. `SafetensorsFile` turns a case into a one-line
/// `SAEKitError` naming the file and, where there is one, the tensor.
public enum SafetensorsError: Error, Equatable, Sendable {
    /// The file is shorter than the 8-byte header length.
    case fileTooSmall(size: Int)
    /// The declared header length exceeds the 100,000,000-byte cap.
    case headerTooLarge(length: UInt64)
    /// 8 + header length is past the end of the file.
    case headerPastEndOfFile(length: UInt64, fileSize: Int)
    /// The header bytes are not valid UTF-8.
    case headerNotUTF8
    /// The header does not start with `{` or is not a JSON object.
    case headerNotJSONObject(detail: String)
    /// Two entries have the same name.
    case duplicateTensor(name: String)
    /// An entry lacks `dtype`, `shape` or `data_offsets`, or one of them has the wrong form.
    case invalidEntry(tensor: String, detail: String)
    /// An entry's dtype is not a safetensors dtype.
    case unknownDType(tensor: String, dtype: String)
    /// `__metadata__` is not an object of strings.
    case invalidMetadata(detail: String)
    /// An entry's end offset is before its start.
    case offsetsReversed(tensor: String, begin: Int, end: Int)
    /// Sorted by offset, an entry does not start where the previous one ended (gap or overlap).
    case offsetsNotContiguous(tensor: String, expectedBegin: Int, begin: Int)
    /// Element count times element width overflows.
    case sizeOverflow(tensor: String)
    /// A sub-byte dtype whose total bit count is not a whole number of bytes.
    case misalignedSubByteTensor(tensor: String)
    /// The byte range length differs from shape x element width.
    case byteLengthMismatch(tensor: String, expected: Int, actual: Int)
    /// The data buffer does not end exactly at the end of the file.
    case dataLengthMismatch(declaredEnd: Int, available: Int)

    /// The tensor named by the error, if any.
    public var tensor: String? {
        switch self {
        case .duplicateTensor(let n), .invalidEntry(let n, _), .unknownDType(let n, _), .offsetsReversed(let n, _, _),
            .offsetsNotContiguous(let n, _, _), .sizeOverflow(let n), .misalignedSubByteTensor(let n),
            .byteLengthMismatch(let n, _, _):
            return n
        default:
            return nil
        }
    }

    /// What is wrong, in one clause.
    public var reason: String {
        switch self {
        case .fileTooSmall(let size):
            return "not a safetensors file: \(size) bytes, shorter than the 8-byte header length"
        case .headerTooLarge(let n):
            return "header length \(n) exceeds the 100,000,000-byte limit (corrupt or not safetensors)"
        case .headerPastEndOfFile(let n, let size):
            return "header length \(n) runs past the end of the \(size)-byte file (truncated?)"
        case .headerNotUTF8:
            return "header is not valid UTF-8"
        case .headerNotJSONObject(let detail):
            return "header is not a JSON object (\(detail))"
        case .duplicateTensor:
            return "tensor name appears twice in the header"
        case .invalidEntry(_, let detail):
            return "invalid header entry: \(detail)"
        case .unknownDType(_, let dtype):
            return "unknown dtype \"\(dtype)\""
        case .invalidMetadata(let detail):
            return "__metadata__ must map strings to strings (\(detail))"
        case .offsetsReversed(_, let b, let e):
            return "data_offsets [\(b), \(e)] end before they begin"
        case .offsetsNotContiguous(_, let expected, let b):
            return "data_offsets begin at \(b), expected \(expected): tensors must follow each other with no gap or overlap"
        case .sizeOverflow:
            return "shape is too large: element count x width overflows"
        case .misalignedSubByteTensor:
            return "sub-byte tensor does not fill a whole number of bytes"
        case .byteLengthMismatch(_, let expected, let actual):
            return "data_offsets cover \(actual) bytes but shape x dtype needs \(expected)"
        case .dataLengthMismatch(let end, let available):
            return "tensor data ends at byte \(end) of the buffer but the file holds \(available) data bytes (truncated or trailing bytes)"
        }
    }

    /// The one-line error for a file at `path`.
    public func userError(path: String) -> SAEKitError {
        SAEKitError(
            .badInput, path: path, subject: tensor.map { "tensor \"\($0)\"" }, reason: reason,
            remedy: "re-export or re-download the file")
    }
}
