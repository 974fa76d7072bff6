import Foundation
import SluiceBroker
import SluiceCore
import Testing

/// SIGKILL of a process running a share group: after the restart nothing accepted comes back and every record
/// acquired but not accepted does, with its delivery count kept (and raised by the new delivery).
///
/// The child is `sluice-dev share-loop`, found beside the test bundle: run `swift build` before `swift test`.
@Suite(.serialized) struct ShareCrashTests: ShareTesting {
    @Test func sigkillLosesNoAcknowledgementAndNoAcquisition() async throws {
        let binary = try #require(Self.sluiceDev(), "sluice-dev was not found: run `swift build` first")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-share-crash-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = "\(dir)/data"
        let output = "\(dir)/out.txt"
        let errors = "\(dir)/err.txt"
        for path in [output, errors] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let total: Int64 = 20_000
        let child = Process()
        child.executableURL = binary
        child.arguments = ["share-loop", data, "t", String(total)]
        child.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        child.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        child.standardInput = FileHandle.nullDevice
        try child.run()
        defer {
            if child.isRunning {
                kill(child.processIdentifier, SIGKILL)
                child.waitUntilExit()
            }
        }
        // Let it accept a good number, then kill it in the middle of its run.
        let deadline = ContinuousClock.now + .seconds(60)
        while try Self.lines(output).accepted.count < 100 {
            let text = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            try #require(child.isRunning, "share-loop exited early (status \(child.terminationStatus)): \(text)")
            try #require(ContinuousClock.now < deadline, "share-loop accepted fewer than 100 records in 60 s: \(text)")
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(300))
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)
        let (acquired, accepted) = try Self.lines(output)
        print("share-loop killed after \(acquired.count) acquisitions and \(accepted.count) acceptances reported")

        let broker = try Broker(dataDirectory: data)
        let member = try await join(broker, "crash")
        var returned: [Int64: Int16] = [:]
        var acks: [ShareAcknowledgement] = []
        while true {
            let got = try await fetch(broker, "crash", member, max: 500, acks: acks)
            #expect(got.acknowledgeError == nil)
            if got.records.isEmpty { break }
            for record in got.records { returned[record.offset] = got.deliveryCount(of: record.offset) }
            acks = got.acquired.map { ack($0.firstOffset, $0.lastOffset, .accept) }
        }
        // Nothing reported accepted comes back; everything else does, except what the last acknowledgement
        // accepted if the kill came after its commit and before the child's report of it: at most one fetch's
        // worth of offsets the child accepts (not multiples of three), acquired and not yet reported accepted.
        #expect(Set(returned.keys).isDisjoint(with: accepted))
        let missing = Set(0..<total).subtracting(returned.keys).subtracting(accepted)
        let unreported = Set(acquired.keys).subtracting(accepted).filter { $0 % 3 != 0 }
        #expect(missing.isSubset(of: unreported), "missing \(missing.sorted())")
        #expect(missing.count <= 5)
        // Every record acquired and not accepted comes back with its count kept, plus this delivery.
        let held = Set(acquired.keys).subtracting(accepted).subtracting(missing)
        #expect(!held.isEmpty)
        for offset in held { #expect(returned[offset] == (acquired[offset] ?? 0) + 1, "offset \(offset)") }
        await broker.shutdown()
    }

    /// The child's report: each acquired offset with its delivery count, and the accepted offsets.
    static func lines(_ path: String) throws -> (acquired: [Int64: Int16], accepted: Set<Int64>) {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var acquired: [Int64: Int16] = [:]
        var accepted: Set<Int64> = []
        // A line cut short by the kill has no newline yet: left out.
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let offset = Int64(fields[1]) else { continue }
            if fields[0] == "acquired", fields.count == 3, let count = Int16(fields[2]) { acquired[offset] = count }
            if fields[0] == "accepted" { accepted.insert(offset) }
        }
        return (acquired, accepted)
    }

    /// `sluice-dev` in the build products folder this test bundle runs from, or `$SLUICE_DEV`.
    static func sluiceDev() -> URL? {
        if let path = ProcessInfo.processInfo.environment["SLUICE_DEV"] { return URL(fileURLWithPath: path) }
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
