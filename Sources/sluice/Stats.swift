import ArgumentParser
import SluiceClient
import SluiceCommandLine
import SluiceCore

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the server's metrics.",
        discussion: """
            Prints the metrics in the Prometheus text format, as the server's optional HTTP endpoint \
            (metrics_listen) serves them. With --json, prints one object of series name (with its labels, as in \
            the text) to value; histograms appear as their _bucket, _sum and _count series.
            """
    )

    @OptionGroup var location: Location

    @Flag(name: .long, help: "Print one JSON object of series to value.")
    var json = false

    func run() async throws {
        try await reportingErrors("stats") { () async throws(SluiceError) in
            let text = try await withClient(location) { client async throws(SluiceError) in try await client.stats() }
            if json {
                Output.line(Self.json(fromPrometheus: text))
            } else {
                Output.write(text, to: 1)
            }
        }
    }

    /// `{"series": value, ...}` from Prometheus text: comment lines are skipped, each other line is a series name
    /// (labels included) and a value.
    static func json(fromPrometheus text: String) -> String {
        var members: [String] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            let name = String(line[..<space])
            let raw = line[line.index(after: space)...]
            let value: String
            if let integer = Int64(raw) {
                value = String(integer)
            } else if let double = Double(raw), double.isFinite {
                value = double == double.rounded() && abs(double) < 1e15 ? String(Int64(double)) : String(double)
            } else {
                value = "null"
            }
            members.append(JSON.string(name).text + ":" + value)
        }
        return "{" + members.joined(separator: ",") + "}"
    }
}
