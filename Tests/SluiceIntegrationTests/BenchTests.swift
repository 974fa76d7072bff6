import Foundation
import Testing

/// `sluice bench` in its short form against the real server: every mode runs and prints the JSON fields scripts rely
/// on (`messages`, `seconds`, `messages_per_second`, `mb_per_second`, `latency_us` with p50, p90, p99, p999, max).
/// Figures are not judged here (they belong to `Scripts/bench-compare`), only that they are there and sane.
@Suite(.serialized) struct BenchTests {
    static func bench(_ arguments: [String], socket: String) async throws -> [String: Any] {
        let outcome = await ProcessRun.run(
            [ServerProcess.binary, "bench"] + arguments + ["--json", "--socket", socket],
            timeout: 60)
        #expect(outcome.status == 0, "sluice bench \(arguments.joined(separator: " ")) failed: \(outcome.stderr)")
        return outcome.json
    }

    static func expectContract(
        _ report: [String: Any], messages: Int? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        if let messages {
            #expect(report["messages"] as? Int == messages, "\(report)", sourceLocation: sourceLocation)
        } else {
            #expect((report["messages"] as? Int ?? 0) > 0, "\(report)", sourceLocation: sourceLocation)
        }
        #expect((report["seconds"] as? Double ?? 0) > 0, sourceLocation: sourceLocation)
        #expect((report["messages_per_second"] as? Double ?? 0) > 0, sourceLocation: sourceLocation)
        #expect((report["mb_per_second"] as? Double ?? 0) > 0, sourceLocation: sourceLocation)
        let latency = report["latency_us"] as? [String: Any] ?? [:]
        let keys = ["p50", "p90", "p99", "p999", "max"]
        let values = keys.map { (latency[$0] as? NSNumber)?.doubleValue ?? -1 }
        #expect(values.allSatisfy { $0 >= 0 }, "latency_us: \(latency)", sourceLocation: sourceLocation)
        #expect(values == values.sorted(), "percentiles out of order: \(latency)", sourceLocation: sourceLocation)
    }

    @Test func everyModePrintsTheJSONScriptsRelyOn() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let produce = try await Self.bench(
            [
                "produce", "--messages", "4000", "--size", "100", "--producers", "2",
                "--batch", "100", "--durability", "normal",
            ], socket: server.socketPath)
        Self.expectContract(produce, messages: 4000)
        let window = try await Self.bench(
            ["produce", "--messages", "300", "--window", "1", "--durability", "normal"],
            socket: server.socketPath)
        Self.expectContract(window, messages: 300)
        let consume = try await Self.bench(
            [
                "consume", "--messages", "4000", "--partitions", "2", "--consumers", "2",
                "--durability", "normal",
            ], socket: server.socketPath)
        Self.expectContract(consume, messages: 4000)
        let endToEnd = try await Self.bench(
            ["end-to-end", "--duration", "1", "--rate", "1000", "--durability", "normal"],
            socket: server.socketPath)
        Self.expectContract(endToEnd)
    }
}
