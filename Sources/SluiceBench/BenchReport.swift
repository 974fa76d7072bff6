import Histogram
import SluiceCommandLine

/// The outcome of a bench run, as text for people or as one JSON object for scripts.
///
/// The JSON keys `messages`, `seconds`, `messages_per_second`, `mb_per_second` and `latency_us` with `p50`, `p90`,
/// `p99`, `p999` and `max` are a contract: scripts read them. Other keys may be added.
struct BenchReport {
    /// A setting or figure beside the contract's: an integer, a number, text, or none.
    enum Value {
        case int(Int)
        case number(Double)
        case text(String)
        case none

        var json: String {
            switch self {
            case .int(let value): String(value)
            case .number(let value): BenchFormat.jsonNumber(value)
            case .text(let value): JSON.string(value).text
            case .none: "null"
            }
        }

        var text: String {
            switch self {
            case .int(let value): String(value)
            case .number(let value):
                value == value.rounded() && value.magnitude < 1e15 ? String(Int(value)) : BenchFormat.fixed(value, 2)
            case .text(let value): value
            case .none: "-"
            }
        }
    }

    var mode: String
    var topic: String
    var messages: Int
    /// Bytes of the messages' values.
    var bytes: Int
    var seconds: Double
    /// What `latency` measures, e.g. "send to ack".
    var latencyMeaning: String
    var latency: Histogram<UInt64>
    /// For end-to-end runs: the producers' send-to-ack latency beside the produce-to-consume one.
    var ackLatency: Histogram<UInt64>?
    /// How the run was set up, in order: topic settings, producers, consumers, batching.
    var settings: [(String, Value)]
    var cpu: BenchCPU
    /// For runs with consumers: records received again at offsets already read (not counted in `messages`).
    var duplicates: Int?

    var messagesPerSecond: Double { seconds > 0 ? Double(messages) / seconds : 0 }
    var megabytesPerSecond: Double { seconds > 0 ? Double(bytes) / seconds / 1e6 : 0 }

    var json: String {
        var members: [(String, String)] = [
            ("mode", JSON.string(mode).text),
            ("topic", JSON.string(topic).text),
            ("messages", String(messages)),
            ("bytes", String(bytes)),
            ("seconds", BenchFormat.jsonNumber(seconds)),
            ("messages_per_second", BenchFormat.jsonNumber(messagesPerSecond)),
            ("mb_per_second", BenchFormat.jsonNumber(megabytesPerSecond)),
            ("latency_us", Self.percentilesJSON(latency)),
        ]
        if let ackLatency { members.append(("ack_latency_us", Self.percentilesJSON(ackLatency))) }
        members.append(("latency_measures", JSON.string(latencyMeaning).text))
        for (key, value) in settings { members.append((key, value.json)) }
        if let duplicates { members.append(("duplicates", String(duplicates))) }
        members.append(("client_cpu_seconds", BenchFormat.jsonNumber(cpu.client)))
        members.append(("server_cpu_seconds", cpu.server.map(BenchFormat.jsonNumber) ?? "null"))
        return "{" + members.map { JSON.string($0.0).text + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    var text: String {
        var lines: [String] = []
        let shown = settings.compactMap { key, value -> String? in
            if case .none = value { return nil }
            switch key {
            case "linger_ms": return "linger \(value.text) ms"
            case "rate": return "rate \(value.text) msg/s"
            case "size": return "\(value.text)-byte messages"
            default: return "\(key.replacingUnderscores) \(value.text)"
            }
        }
        lines.append("sluice bench \(mode): topic \(topic), " + shown.joined(separator: ", "))
        lines.append(
            "  \(BenchFormat.thousands(messages)) messages in \(BenchFormat.fixed(seconds, 3)) s: "
                + "\(BenchFormat.thousands(Int(messagesPerSecond.rounded()))) msg/s, "
                + "\(BenchFormat.fixed(megabytesPerSecond, 2)) MB/s")
        lines.append("  latency µs (\(latencyMeaning)): " + Self.percentilesText(latency))
        if let ackLatency { lines.append("  latency µs (send to ack): " + Self.percentilesText(ackLatency)) }
        var cpuLine = "  cpu: client \(BenchFormat.fixed(cpu.client, 2)) s (\(percent(cpu.client)))"
        if let server = cpu.server { cpuLine += ", server \(BenchFormat.fixed(server, 2)) s (\(percent(server)))" }
        lines.append(cpuLine)
        if let duplicates, duplicates > 0 {
            lines.append(
                "  \(BenchFormat.thousands(duplicates)) records received again at offsets already read "
                    + "(not counted)")
        }
        return lines.joined(separator: "\n")
    }

    private func percent(_ cpuSeconds: Double) -> String {
        seconds > 0 ? "\(Int((100 * cpuSeconds / seconds).rounded()))% of one core" : "-"
    }

    static let percentiles: [(name: String, label: String, percentile: Double)] = [
        ("p50", "p50", 50), ("p90", "p90", 90), ("p99", "p99", 99), ("p999", "p99.9", 99.9),
    ]

    /// Microseconds, one decimal.
    private static func micros(_ nanoseconds: UInt64) -> Double {
        (Double(nanoseconds) / 100).rounded() / 10
    }

    private static func values(_ histogram: Histogram<UInt64>) -> [(name: String, label: String, micros: Double)] {
        guard histogram.totalCount > 0 else {
            return percentiles.map { ($0.name, $0.label, 0) } + [("max", "max", 0)]
        }
        return percentiles.map { ($0.name, $0.label, micros(histogram.valueAtPercentile($0.percentile))) }
            + [("max", "max", micros(histogram.max))]
    }

    private static func percentilesJSON(_ histogram: Histogram<UInt64>) -> String {
        var members = values(histogram).map { JSON.string($0.name).text + ":" + BenchFormat.jsonNumber($0.micros) }
        members.append("\"count\":\(histogram.totalCount)")
        return "{" + members.joined(separator: ",") + "}"
    }

    private static func percentilesText(_ histogram: Histogram<UInt64>) -> String {
        guard histogram.totalCount > 0 else { return "none measured" }
        return values(histogram).map { "\($0.label) \(BenchFormat.fixed($0.micros, 1))" }.joined(separator: "  ")
    }
}

extension String {
    /// `client_cpu` as `client cpu`.
    fileprivate var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
