import Foundation
import NIOCore
import SluiceCore
import SluiceProtocol
import Testing

/// The data directory on a small filesystem that fills up: producers get `disk_full` (not a hang, not a crash),
/// nothing committed is damaged, and producing works again once space is freed.
///
/// Needs to mount a tmpfs (root, or CAP_SYS_ADMIN); skipped where mounting is not permitted.
@Suite(.serialized) struct FullDiskTests {
    static let canMount: Bool = SmallFilesystem.canMount()

    @Test(.enabled(if: FullDiskTests.canMount, "mounting a tmpfs is not permitted here"))
    func producersGetDiskFullAndRecoverWhenSpaceIsFreed() throws {
        let disk = try SmallFilesystem(megabytes: 24)
        defer { disk.unmount() }
        var server = try ServerProcess(reusing: disk.path).start()
        defer { server.kill() }
        var connection = try RawConnection(path: server.socketPath, timeoutSeconds: 20)
        try connection.createTopic("fill")
        try connection.createTopic("spare", partitions: 2)

        // Committed before the disk fills: these must all come back at the end.
        var filled: [String] = []
        var spare: [Int32: [String]] = [0: [], 1: []]
        for batch in 0..<5 {
            let values = (0..<10).map { "before-\(batch)-\($0)" }
            #expect(try connection.produce("fill", strings: values).error == nil)
            filled += values
            for partition in Int32(0)..<2 {
                let values = (0..<10).map { "spare-\(partition)-\(batch)-\($0)" }
                #expect(try connection.produce("spare", partition: partition, strings: values).error == nil)
                spare[partition]! += values
            }
        }
        #expect(
            try connection.commit(group: "g", "spare", offsets: [0: 7, 1: 3]).topics[0].partitions
                .allSatisfy { $0.error == nil })

        // Room to give back later: a file of a quarter of the disk (enough for the checkpoint a commit may start).
        let filler = "\(disk.path)/filler"
        try Data(repeating: 0x46, count: 6 << 20).write(to: URL(fileURLWithPath: filler))

        // Fill the disk with 64 KiB batches until the server says it is full.
        let payload = String(repeating: "x", count: 1024)
        var refusal: SluiceError?
        for batch in 0..<2_000 {
            let values = (0..<64).map { "full-\(batch)-\($0)-\(payload)" }
            let result = try connection.produce("fill", strings: values)
            if let error = result.error {
                refusal = error
                break
            }
            filled += values
        }
        let error = try #require(refusal, "the disk never filled")
        #expect(error.code == .diskFull, "\(error)")
        #expect(error.code.isRetriable)
        #expect(server.process?.isRunning == true, "the server is still up")

        // While full: every other request is still answered, small produces are refused the same way, reads work.
        let small = try connection.produce("spare", partition: 0, strings: ["while full"])
        if let error = small.error {
            #expect(error.code == .diskFull, "\(error)")
        } else {
            spare[0]!.append("while full")
        }
        #expect(try connection.readAllStrings("spare", partition: 1) == spare[1])
        #expect(try connection.readAllStrings("fill") == filled)
        #expect(try connection.committedOffsets(group: "g", "spare") == [0: 7, 1: 3])
        _ = try connection.call(.apiVersions(APIVersionsRequest(clientSoftware: "probe")))

        // Space freed: producing works again, on both topics, without a restart.
        try FileManager.default.removeItem(atPath: filler)
        let again = try connection.produce("fill", strings: ["after-1", "after-2"])
        #expect(again.error == nil, "\(String(describing: again.error))")
        #expect(again.baseOffset == Int64(filled.count), "offsets continue where the committed records end")
        if again.error == nil { filled += ["after-1", "after-2"] }
        let spareAgain = try connection.produce("spare", partition: 1, strings: ["after"])
        #expect(spareAgain.error == nil, "\(String(describing: spareAgain.error)) \(server.log.suffix(2500))")
        if spareAgain.error == nil { spare[1]!.append("after") }
        #expect(try connection.commit(group: "g", "spare", offsets: [0: 8]).topics[0].partitions[0].error == nil)

        // Everything committed is intact, before and after a restart.
        #expect(try connection.readAllStrings("fill") == filled)
        #expect(server.stop() == 0, "clean shutdown after a full disk: \(server.log.suffix(2000))")
        server = try ServerProcess(reusing: disk.path).start()
        connection = try RawConnection(path: server.socketPath, timeoutSeconds: 20)
        #expect(try connection.readAllStrings("fill") == filled)
        for partition in Int32(0)..<2 {
            #expect(try connection.readAllStrings("spare", partition: partition) == spare[partition])
        }
        #expect(try connection.committedOffsets(group: "g", "spare") == [0: 8, 1: 3])
        #expect(server.stop() == 0)
        for database in ["catalog.db", "topics/fill.db", "topics/spare.db"] {
            let result = sqliteIntegrityCheck("\(disk.path)/\(database)")
            #expect(result == nil || result == "ok", "\(database): \(result ?? "")")
        }
    }

    /// Retention keeps running on a full disk: a topic's expired records are deleted while producers are refused
    /// `disk_full`, and the space they took is given back, so producing works again without anyone freeing space.
    @Test(.enabled(if: FullDiskTests.canMount, "mounting a tmpfs is not permitted here"))
    func retentionRunsOnAFullDiskAndGivesTheSpaceBack() async throws {
        let disk = try SmallFilesystem(megabytes: 24)
        defer { disk.unmount() }
        let server = try ServerProcess(reusing: disk.path).start()
        defer { server.kill() }
        let connection = try RawConnection(path: server.socketPath, timeoutSeconds: 20)
        try connection.createTopic("aging", configs: [ConfigEntry(key: "retention.ms", value: "4000")])
        let payload = String(repeating: "a", count: 1024)
        var aged = 0
        var refused: SluiceError?
        for batch in 0..<2_000 {
            let result = try connection.produce("aging", strings: (0..<64).map { "\(batch)-\($0)-\(payload)" })
            if let error = result.error {
                refused = error
                break
            }
            aged += 64
        }
        #expect(refused?.code == .diskFull, "the disk never filled: \(String(describing: refused))")

        // Past the retention time the sweeper deletes what expired, although the disk was full.
        let deadline = Date().addingTimeInterval(30)
        var start: Int64 = 0
        while Date() < deadline {
            start = try connection.metadata(["aging"]).topics.first?.partitions.first?.logStartOffset ?? 0
            if start == Int64(aged) { break }
            // Waits without holding a thread of the test runner's pool, which other suites' heartbeats need.
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(start == Int64(aged), "retention deleted up to \(start) of \(aged): \(server.log.suffix(3000))")
        #expect(try connection.produce("aging", strings: ["after"]).error == nil, "the space was given back")
        #expect(server.process?.isRunning == true)
    }

    /// Deleting a topic is how a user wins space back, so it works on a full disk: the delete succeeds, frees the
    /// topic's space (the other topic can produce again at once), and leaves every database whole across a restart.
    @Test(.enabled(if: FullDiskTests.canMount, "mounting a tmpfs is not permitted here"))
    func deletingATopicOnAFullDiskFreesItsSpace() throws {
        let disk = try SmallFilesystem(megabytes: 24)
        defer { disk.unmount() }
        var server = try ServerProcess(reusing: disk.path).start()
        defer { server.kill() }
        var connection = try RawConnection(path: server.socketPath, timeoutSeconds: 20)
        try connection.createTopic("keep")
        try connection.createTopic("ballast")
        #expect(try connection.produce("keep", strings: ["k0", "k1"]).error == nil)
        #expect(try connection.commit(group: "g", "ballast", offsets: [0: 0]).topics[0].partitions[0].error == nil)
        let payload = String(repeating: "b", count: 1024)
        // Ballast takes about half the disk, then `keep` fills the rest.
        var ballast = 0
        for batch in 0..<48 {
            let values = (0..<64).map { "\(batch)-\($0)-\(payload)" }
            if try connection.produce("ballast", strings: values).error != nil { break }
            ballast += values.count
        }
        #expect(ballast > 1000, "the ballast took a good part of the disk")
        var kept = ["k0", "k1"]
        var full = false
        for batch in 0..<2_000 {
            let values = (0..<64).map { "keep-\(batch)-\($0)-\(payload)" }
            let result = try connection.produce("keep", strings: values)
            if let error = result.error {
                #expect(error.code == .diskFull, "\(error)")
                full = true
                break
            }
            kept += values
        }
        #expect(full, "the disk never filled")

        _ = try connection.call(.deleteTopic(DeleteTopicRequest(name: "ballast")))
        #expect(try connection.metadata(["ballast"]).topics.first?.error?.code == .unknownTopic)
        #expect(try connection.committedOffsets(group: "g", "ballast").isEmpty)
        // The space came back: a batch as large as the one the full disk refused now fits.
        let values = (0..<64).map { "after-\($0)-\(payload)" }
        let after = try connection.produce("keep", strings: values)
        #expect(after.error == nil, "\(String(describing: after.error))")
        if after.error == nil { kept += values }
        #expect(try connection.readAllStrings("keep") == kept)
        // The name can be used again.
        try connection.createTopic("ballast")
        #expect(try connection.produce("ballast", strings: ["new"]).baseOffset == 0)

        // Nothing committed is damaged, and the delete stays done.
        #expect(server.stop() == 0)
        server = try ServerProcess(reusing: disk.path).start()
        connection = try RawConnection(path: server.socketPath, timeoutSeconds: 20)
        #expect(try connection.readAllStrings("keep") == kept)
        #expect(try connection.readAllStrings("ballast") == ["new"])
        #expect(server.stop() == 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "\(disk.path)/topics")
            .filter { $0.hasSuffix("-deleted") }
        #expect(leftovers.isEmpty, "tombstones left behind: \(leftovers)")
        for database in ["catalog.db", "topics/keep.db", "topics/ballast.db"] {
            let result = sqliteIntegrityCheck("\(disk.path)/\(database)")
            #expect(result == nil || result == "ok", "\(database): \(result ?? "")")
        }
    }
}

/// A tmpfs of a few megabytes mounted on a fresh temporary directory, for as long as this value is not unmounted.
struct SmallFilesystem {
    let path: String

    init(megabytes: Int) throws {
        path = "\(FileManager.default.temporaryDirectory.path)/sluice-small-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0755", "tmpfs", path]) else {
            try? FileManager.default.removeItem(atPath: path)
            throw SluiceError(.unknown, "cannot mount a tmpfs on \(path)")
        }
    }

    func unmount() {
        // Lazily: a process that still has a file open there (a server that failed to stop) must not keep it busy.
        _ = Self.run("/bin/umount", ["-l", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Whether this process may mount a tmpfs: tries one.
    static func canMount() -> Bool {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/bin/mount") else { return false }
        guard let probe = try? SmallFilesystem(megabytes: 1) else { return false }
        probe.unmount()
        return true
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
