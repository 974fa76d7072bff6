import Foundation
import Testing

/// `sluice bench` hands over to `sluice-bench`, installed next to `sluice`: the bench's help and refusals come
/// through as they are, and a missing `sluice-bench` is named.
@Suite struct BenchLauncherTests {
    @Test func theBenchsHelpComesThrough() async {
        let outcome = await ProcessRun.run([ServerProcess.binary, "bench", "produce", "--help"], timeout: 30)
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("USAGE: sluice bench produce <options>"), "\(outcome.stdout)")
        #expect(outcome.stdout.contains("--window <n>"))
    }

    @Test func aBadFlagIsTheBenchsUsageError() async {
        let outcome = await ProcessRun.run([ServerProcess.binary, "bench", "produce", "--messages", "0"], timeout: 30)
        #expect(outcome.status == 64)
        #expect(outcome.stderr.contains("--messages must be at least 1"), "\(outcome.stderr)")
    }

    @Test func aMissingBenchIsNamed() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-bench-missing-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lonely = "\(directory)/sluice"
        try FileManager.default.copyItem(atPath: ServerProcess.binary, toPath: lonely)
        let outcome = await ProcessRun.run([lonely, "bench", "produce"], timeout: 30)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("sluice bench: \(directory)/sluice-bench not found"), "\(outcome.stderr)")
    }
}
