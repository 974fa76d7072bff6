import Foundation
import SluiceCore
import SluiceStorage
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Kills a process in the middle of appending (SIGKILL, no chance to clean up) and checks that every append it
/// acknowledged is stored, intact, with no gap and no duplicate.
///
/// The child is `sluice-dev append-loop`, found beside the test bundle: run `swift build` before `swift test`.
/// One child at a time, at the lowest CPU priority: alone it runs flat out, but beside the rest of the suite on a
/// small machine it yields instead of starving the tests that measure latency.
@Suite(.serialized) struct CrashRecoveryTests {
    @Test(arguments: Durability.allCases)
    func acknowledgedAppendsSurviveSIGKILL(durability: Durability) async throws {
        let binary = try #require(Self.sluiceDev(), Self.missingBinaryMessage)
        try await withTemporaryDirectory { dir in
            let data = "\(dir)/data"
            let ackPath = "\(dir)/acks.txt"
            let errorPath = "\(dir)/stderr.txt"
            for path in [ackPath, errorPath] { _ = FileManager.default.createFile(atPath: path, contents: nil) }

            let child = Process()
            child.executableURL = binary
            child.arguments = ["append-loop", data, "crash", "--durability", durability.rawValue]
            // A file rather than a pipe: the child never blocks on a full pipe, and nothing it wrote is lost.
            child.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: ackPath))
            child.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
            child.standardInput = FileHandle.nullDevice
            try child.run()
            Self.lowerPriority(child.processIdentifier)
            defer {
                if child.isRunning {
                    kill(child.processIdentifier, SIGKILL)
                    child.waitUntilExit()
                }
            }

            // Let it get going, then append for a while longer before the kill.
            let deadline = ContinuousClock.now + .seconds(60)
            while try Self.acknowledged(ackPath).isEmpty {
                let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
                try #require(child.isRunning, "append-loop exited early (status \(child.terminationStatus)): \(errors)")
                try #require(ContinuousClock.now < deadline, "append-loop acknowledged nothing in 60 s: \(errors)")
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(1500))
            #expect(child.isRunning)
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal)

            let acks = try Self.acknowledged(ackPath)
            var acknowledgedEnd: Int64 = 0
            for (base, count) in acks {
                #expect(base == acknowledgedEnd, "batches are acknowledged in order, without gaps")
                #expect((1...50).contains(count))
                acknowledgedEnd = base + count
            }

            let store = try Store(path: data)
            let reader = try store.openReader("crash")
            let bounds = try reader.offsets(partition: 0)
            #expect(bounds.logStartOffset == 0)
            #expect(
                bounds.nextOffset >= acknowledgedEnd,
                "acknowledged through \(acknowledgedEnd), stored \(bounds.nextOffset)")

            // Every offset below the next one, in order, each once, each intact.
            var expected: Int64 = 0
            var damaged = 0
            while expected < bounds.nextOffset {
                let chunk: [Record] = try reader.read(partition: 0, from: expected, maxRecords: 1000, maxBytes: .max)
                try #require(
                    !chunk.isEmpty, "nothing stored from \(expected) on, below the next offset \(bounds.nextOffset)")
                for record in chunk {
                    try #require(
                        record.offset == expected, "offset \(expected) is missing: the next stored is \(record.offset)")
                    if record != Self.expectedRecord(record) {
                        damaged += 1
                        if damaged <= 3 { Issue.record("record \(record.offset) is damaged: \(record)") }
                    }
                    expected += 1
                }
            }
            #expect(damaged == 0)

            // The log carries on where it stopped.
            #expect(
                try store.openWriter("crash").append(partition: 0, records: [ProducerRecord(value: [1])], now: t0)
                    == bounds.nextOffset)
        }
    }

    private static func lowerPriority(_ pid: Int32) {
        #if canImport(Glibc)
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(pid), 19)
        #else
            _ = setpriority(PRIO_PROCESS, id_t(pid), 19)
        #endif
    }

    /// The `(baseOffset, count)` lines the child printed; a line cut short by the kill is ignored.
    static func acknowledged(_ path: String) throws -> [(Int64, Int64)] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            let fields = line.split(separator: " ")
            return (Int64(fields[0]) ?? -1, Int64(fields.count > 1 ? fields[1] : "") ?? -1)
        }
    }

    /// What `sluice-dev append-loop` (`AppendLoop.record(at:)`) writes at `offset`; keep the two in step.
    static func expectedRecord(_ stored: Record) -> Record {
        let offset = stored.offset
        var value = Array("v\(offset):".utf8)
        for i in 0..<(16 + offset % 97) {
            value.append(UInt8(truncatingIfNeeded: offset &* 31 &+ i &* 7))
        }
        return Record(
            offset: offset, timestamp: stored.timestamp, key: Array("k\(offset)".utf8), value: value,
            headers: [Header(name: "offset", value: Array("\(offset)".utf8))])
    }

    static let missingBinaryMessage: Comment = """
        sluice-dev was not found beside the test bundle: build it first (`swift build && swift test`), \
        or point SLUICE_DEV at it
        """

    /// `sluice-dev` in the build products folder this test bundle runs from (`.build/<config>/`), or `$SLUICE_DEV`.
    static func sluiceDev() -> URL? {
        if let path = ProcessInfo.processInfo.environment["SLUICE_DEV"] {
            return URL(fileURLWithPath: path)
        }
        // Linux runs the `.xctest` executable itself; macOS loads the `.xctest` bundle into `xctest`.
        var places = Bundle.allBundles.map(\.bundleURL)
        if let executable = Bundle.main.executableURL { places.append(executable) }
        for place in places {
            var folder = place.resolvingSymlinksInPath()
            for _ in 0..<4 {
                folder.deleteLastPathComponent()
                let candidate = folder.appendingPathComponent("sluice-dev")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
        }
        return nil
    }
}
