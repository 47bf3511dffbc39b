import Foundation

/// ISO-8601 timestamps with millisecond precision, as label files and exports write them.
///
/// Labels store times on whole milliseconds (`canonical`) so that a label read back from disk or
/// from an export compares equal to the one that was stored. The conversion is pure integer
/// arithmetic (proleptic Gregorian calendar, UTC), so it gives the same text on every machine.
public enum LabelTime {
    /// `date` rounded to the nearest millisecond: the value a label file stores and reads back.
    public static func canonical(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds(date)) / 1000)
    }

    static func milliseconds(_ date: Date) -> Int64 {
        let ms = (date.timeIntervalSince1970 * 1000).rounded()
        guard ms.isFinite, abs(ms) < 9.0e15 else { return 0 }
        return Int64(ms)
    }

    /// `2024-05-01T12:34:56.789Z`.
    public static func format(_ date: Date) -> String {
        let ms = milliseconds(date)
        let (days, msOfDay) = floorDivMod(ms, 86_400_000)
        let (y, m, d) = civil(fromDays: days)
        let h = msOfDay / 3_600_000
        let mi = (msOfDay / 60_000) % 60
        let s = (msOfDay / 1000) % 60
        let f = msOfDay % 1000
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T" + pad(h, 2) + ":" + pad(mi, 2) + ":" + pad(s, 2) + "." + pad(f, 3) + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil if the text is not of that form.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int64? {
            guard i + n <= b.count else { return nil }
            var v: Int64 = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let y = digits(4), expect(45), let mo = digits(2), expect(45), let d = digits(2),
            i < b.count, b[i] == 84 || b[i] == 116 || b[i] == 32
        else { return nil }
        i += 1
        guard let h = digits(2), expect(58), let mi = digits(2), expect(58), let s = digits(2) else { return nil }
        guard (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        var ms: Int64 = 0
        if i < b.count, b[i] == 46 {
            // Milliseconds from the first three digits, rounded half up on the fourth; the rest is ignored.
            i += 1
            var count = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                let digit = Int64(b[i] - 48)
                if count < 3 {
                    ms = ms * 10 + digit
                } else if count == 3, digit >= 5 {
                    ms += 1
                }
                count += 1
                i += 1
            }
            guard count > 0 else { return nil }
            for _ in min(count, 3)..<3 { ms *= 10 }
        }
        var offsetMinutes: Int64 = 0
        guard i < b.count else { return nil }
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45 {
            let sign: Int64 = b[i] == 45 ? -1 : 1
            i += 1
            guard let oh = digits(2) else { return nil }
            _ = expect(58)
            guard let om = digits(2) else { return nil }
            offsetMinutes = sign * (oh * 60 + om)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(y, mo, d)
        let total = ((days * 24 + h) * 60 + mi - offsetMinutes) * 60_000 + s * 1000 + ms
        // `format` writes four-digit UTC years: a time the offset moves outside 0000...9999 would be
        // written in a form this parser refuses, and the labels file would no longer open.
        guard total >= minMilliseconds, total < maxMilliseconds else { return nil }
        return Date(timeIntervalSince1970: Double(total) / 1000)
    }

    /// 0000-01-01T00:00:00.000Z and 10000-01-01T00:00:00.000Z in milliseconds since 1970.
    private static let minMilliseconds = daysFromCivil(0, 1, 1) * 86_400_000
    private static let maxMilliseconds = daysFromCivil(10000, 1, 1) * 86_400_000

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func floorDivMod(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        var q = a / b
        var r = a % b
        if r < 0 { q -= 1; r += b }
        return (q, r)
    }

    // Howard Hinnant's days_from_civil / civil_from_days (public-domain algorithms).
    private static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
