/// Parses ISO 8601 times such as `2026-11-25T10:00:00Z`, `2026-11-25T10:00:00.250+01:00` or `2026-11-25` (midnight
/// UTC) into milliseconds since the Unix epoch.
///
/// Accepted: `YYYY-MM-DD`, optionally followed by `T` (or a space) and `HH:MM`, `:SS` and a fraction of a second,
/// then a zone: `Z`, `±HH:MM`, `±HHMM` or `±HH`. A time needs a zone; fractions past milliseconds are truncated.
enum ISO8601 {
    static func milliseconds(_ text: String) -> Int64? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.digits(4), scanner.take("-"), let month = scanner.digits(2), scanner.take("-"),
            let day = scanner.digits(2), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        var millis = daysFromCivil(year: year, month: month, day: day) * 86_400_000
        if scanner.atEnd { return millis }
        guard scanner.take("T") || scanner.take("t") || scanner.take(" "), let hour = scanner.digits(2),
            scanner.take(":"), let minute = scanner.digits(2), hour < 24, minute < 60
        else { return nil }
        var second: Int64 = 0
        var fraction: Int64 = 0
        if scanner.take(":") {
            guard let value = scanner.digits(2), value < 60 else { return nil }
            second = value
            if scanner.take(".") || scanner.take(",") {
                var digits = 0
                while let digit = scanner.digit() {
                    if digits < 3 { fraction = fraction * 10 + digit }
                    digits += 1
                }
                guard digits > 0 else { return nil }
                for _ in digits..<max(digits, 3) { fraction *= 10 }
            }
        }
        millis += ((hour * 60 + minute) * 60 + second) * 1000 + fraction
        if scanner.take("Z") || scanner.take("z") { return scanner.atEnd ? millis : nil }
        let sign: Int64
        if scanner.take("+") { sign = 1 } else if scanner.take("-") { sign = -1 } else { return nil }
        guard let zoneHours = scanner.digits(2), zoneHours < 24 else { return nil }
        var zoneMinutes: Int64 = 0
        if !scanner.atEnd {
            _ = scanner.take(":")
            guard let value = scanner.digits(2), value < 60 else { return nil }
            zoneMinutes = value
        }
        guard scanner.atEnd else { return nil }
        return millis - sign * (zoneHours * 60 + zoneMinutes) * 60_000
    }

    private struct Scanner {
        var bytes: ArraySlice<UInt8>
        init(_ bytes: [UInt8]) { self.bytes = bytes[...] }

        var atEnd: Bool { bytes.isEmpty }

        mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard bytes.first == UInt8(ascii: character) else { return false }
            bytes.removeFirst()
            return true
        }

        mutating func digit() -> Int64? {
            guard let byte = bytes.first, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            bytes.removeFirst()
            return Int64(byte - UInt8(ascii: "0"))
        }

        mutating func digits(_ count: Int) -> Int64? {
            var value: Int64 = 0
            for _ in 0..<count {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's `days_from_civil`).
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
