/// Number formatting without Foundation.
enum BenchFormat {
    /// `1234567` as `1,234,567`.
    static func thousands(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }

    /// `value` with `digits` decimals and thousands separators.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "-" }
        guard value.magnitude < 1e15 else { return String(value) }
        var scale = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value.magnitude * Double(scale)).rounded())
        var out = thousands(scaled / scale)
        if digits > 0 {
            let fraction = String(scaled % scale)
            out += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return value < 0 && scaled != 0 ? "-" + out : out
    }

    /// A JSON number rounded to 3 decimals; `null` for infinities and NaN.
    static func jsonNumber(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        let rounded = (value * 1000).rounded() / 1000
        if rounded == rounded.rounded(), rounded.magnitude < 1e15 { return String(Int(rounded)) }
        return String(rounded)
    }
}
