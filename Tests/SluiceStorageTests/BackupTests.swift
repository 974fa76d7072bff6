import Foundation
import SluiceCore
import Testing

@testable import SluiceStorage

/// Backups of a data directory in use, their manifest, and restores that refuse what is damaged or missing.
@Suite struct BackupTests {
    /// Small steps, no pause: many steps for a small database, quickly.
    static let fast = Backup.Pacing(pagesPerStep: 4, pause: .zero, restPerWork: 0)

    /// A store with two topics (one of two partitions, one trimmed by retention) and a group's offsets.
    static func populatedStore(_ dir: String) throws -> Store {
        let store = try Store(path: dir)
        try store.createTopic("orders", config: TopicConfig(partitions: 2), now: t0)
        try store.createTopic("audit.log", config: TopicConfig(), now: t0)
        let orders = try store.openWriter("orders")
        for batch in 0..<10 {
            try orders.append(partition: Int32(batch % 2), records: records(100, from: batch * 100), now: t0)
        }
        let audit = try store.openWriter("audit.log")
        try audit.append(partition: 0, records: records(300), now: t0)
        _ = try audit.truncate(partition: 0, before: 120, maxRecords: 1000)
        try store.catalog.commitOffsets(
            group: "billing",
            [
                CommittedOffset(topic: "orders", partition: 0, offset: 400),
                CommittedOffset(topic: "orders", partition: 1, offset: 500, metadata: "m"),
            ], now: t0)
        return store
    }

    static func sha256sum(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return String(text.prefix(64))
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    /// Appends made while the copy runs (between its steps) and offsets committed after the snapshots were pinned
    /// are not in the backup; what was committed before is, record for record, and committed offsets never point
    /// past the records.
    @Test func aBackupHoldsTheSnapshotsItPinnedWhileTheWriterGoesOn() throws {
        try withTemporaryDirectory { dir in
            let store = try Self.populatedStore("\(dir)/data")
            let orders = try store.openWriter("orders")
            let before = try store.openReader("orders").readAll(partition: 0)
            let backup = try store.pinBackup(now: t0)
            try store.catalog.commitOffsets(
                group: "billing", [CommittedOffset(topic: "orders", partition: 0, offset: 600)],
                now: t0)
            var appendsDuringCopy = 0
            let manifest = try backup.write(
                to: "\(dir)/backup", pacing: Backup.Pacing(pagesPerStep: 1, pause: .zero, restPerWork: 0),
                software: "test"
            ) {
                // Between copy steps: the writer commits at once, never waiting for the backup.
                let started = ContinuousClock.now
                _ = try? orders.append(
                    partition: 0, records: records(10, from: 5_000 + appendsDuringCopy * 10), now: t0)
                #expect(started.duration(to: .now) < .seconds(1))
                appendsDuringCopy += 1
                return false
            }
            #expect(appendsDuringCopy > 10, "the copy took several steps")
            #expect(try store.openReader("orders").readAll(partition: 0).count == 500 + appendsDuringCopy * 10)

            let restored = try Backup.restore(from: "\(dir)/backup", into: "\(dir)/restored")
            #expect(restored == manifest)
            let copy = try Store(path: "\(dir)/restored")
            #expect(try copy.topics().map(\.name) == ["audit.log", "orders"])
            #expect(try copy.topic("orders").config.partitions == 2)
            #expect(try copy.openReader("orders").readAll(partition: 0) == before)
            #expect(try copy.openReader("orders").readAll(partition: 1).count == 500)
            let audit = try copy.openReader("audit.log").readAll(partition: 0, from: 120)
            #expect(audit.map(\.offset) == Array(120..<300))
            let committed = try copy.catalog.committedOffsets(group: "billing")
            #expect(committed.map(\.offset) == [400, 500], "the commit after the pin is not in the backup")
            #expect(committed.last?.metadata == "m")
            let writer = try copy.openWriter("orders")
            for offset in committed {
                #expect(offset.offset <= (try writer.offsets(partition: offset.partition)).nextOffset)
            }
            // A restored directory serves on: offsets continue where the backup's stopped.
            #expect(try writer.append(partition: 0, records: records(1), now: t0) == 500)
        }
    }

    @Test func theManifestListsOffsetsRecordCountsSizesAndChecksums() throws {
        try withTemporaryDirectory { dir in
            let store = try Self.populatedStore("\(dir)/data")
            let manifest = try store.pinBackup(now: t0).write(to: "\(dir)/backup", pacing: Self.fast, software: "test")
            #expect(manifest.format == "sluice-backup" && manifest.version == 1 && manifest.createdMs == t0)
            #expect(manifest.topics.map(\.name) == ["audit.log", "orders"])
            #expect(
                manifest.topics[0].partitions == [
                    .init(partition: 0, logStartOffset: 120, nextOffset: 300, records: 180)
                ])
            #expect(
                manifest.topics[1].partitions == [
                    .init(partition: 0, logStartOffset: 0, nextOffset: 500, records: 500),
                    .init(partition: 1, logStartOffset: 0, nextOffset: 500, records: 500),
                ])
            #expect(manifest.files.map(\.path) == ["catalog.db", "topics/audit.log.db", "topics/orders.db"])
            for file in manifest.files {
                let path = "\(dir)/backup/\(file.path)"
                #expect(try Self.sha256sum(path) == file.sha256, "\(file.path)")
                #expect(Int64(FileSystem.size(path)) == file.bytes)
                #expect(try Self.mode(path) == 0o600, "\(file.path)")
            }
            #expect(try Self.mode("\(dir)/backup") == 0o700 && Self.mode("\(dir)/backup/topics") == 0o700)
            #expect(try Self.mode("\(dir)/backup/manifest.json") == 0o600)
            // Plain files: no WAL or journal is left beside them.
            #expect(FileSystem.contents(of: "\(dir)/backup/topics").sorted() == ["audit.log.db", "orders.db"])
            let text = try String(contentsOfFile: "\(dir)/backup/manifest.json", encoding: .utf8)
            #expect(text.contains("\"log_start_offset\" : 120") && text.contains("\"created_ms\" : \(t0)"))
            #expect(try BackupManifest.parse(Array(text.utf8), source: "m") == manifest)
        }
    }

    @Test func aBackupWantsAnEmptyFolderAndLeavesNothingWhenCancelled() throws {
        try withTemporaryDirectory { dir in
            let store = try Self.populatedStore("\(dir)/data")
            try FileManager.default.createDirectory(atPath: "\(dir)/full", withIntermediateDirectories: false)
            _ = FileManager.default.createFile(atPath: "\(dir)/full/x", contents: Data())
            expectError(.invalidArgument) { try store.pinBackup(now: t0).write(to: "\(dir)/full", software: "test") }
            expectError(.invalidArgument) { try store.pinBackup(now: t0).write(to: "\(dir)/no/such", software: "test") }
            var steps = 0
            expectError(.shuttingDown) {
                try store.pinBackup(now: t0).write(to: "\(dir)/cancelled", pacing: Self.fast, software: "test") {
                    steps += 1
                    return steps > 3
                }
            }
            #expect(!fileExists("\(dir)/cancelled"))
            // An empty folder that existed stays, empty.
            try FileManager.default.createDirectory(atPath: "\(dir)/empty", withIntermediateDirectories: false)
            expectError(.shuttingDown) {
                try store.pinBackup(now: t0).write(to: "\(dir)/empty", pacing: Self.fast, software: "test") { true }
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/empty").isEmpty)
            #expect(try store.pinBackup(now: t0).write(to: "\(dir)/empty", software: "test").topics.count == 2)
        }
    }

    /// Each refusal names what is wrong, comes before anything is written, and leaves no data directory behind.
    @Test func restoreRefusesDamagedOrIncompleteBackups() throws {
        try withTemporaryDirectory { dir in
            let store = try Self.populatedStore("\(dir)/data")
            _ = try store.pinBackup(now: t0).write(to: "\(dir)/good", software: "test")
            let manager = FileManager.default
            func variant(_ name: String, _ damage: (String) throws -> Void) throws -> String {
                let path = "\(dir)/\(name)"
                try manager.copyItem(atPath: "\(dir)/good", toPath: path)
                try damage(path)
                return path
            }
            func refused(
                _ backup: String, _ code: ErrorCode, saying words: String,
                sourceLocation: SourceLocation = #_sourceLocation
            ) {
                let target = "\(dir)/restored-\(UUID().uuidString.prefix(6))"
                let error = expectError(code, sourceLocation: sourceLocation) {
                    try Backup.restore(from: backup, into: target)
                }
                #expect(
                    error?.message.contains(words) == true, "\(error?.message ?? "")", sourceLocation: sourceLocation)
                #expect(!fileExists(target), sourceLocation: sourceLocation)
            }
            let flipped = try variant("flipped") { path in
                let handle = try #require(FileHandle(forUpdatingAtPath: "\(path)/topics/orders.db"))
                try handle.seek(toOffset: 6000)
                let byte = try #require(try handle.read(upToCount: 1)).first!
                try handle.seek(toOffset: 6000)
                try handle.write(contentsOf: Data([byte ^ 0x01]))
                try handle.close()
            }
            refused(flipped, .corruptDatabase, saying: "damaged: \(flipped)/topics/orders.db")
            let cut = try variant("cut") { path in
                try FileHandle(forUpdatingAtPath: "\(path)/catalog.db")!.truncate(atOffset: 4096)
            }
            refused(cut, .corruptDatabase, saying: "catalog.db has 4096 bytes")
            let missing = try variant("missing") { try manager.removeItem(atPath: "\($0)/topics/audit.log.db") }
            refused(missing, .invalidArgument, saying: "incomplete: \(missing)/topics/audit.log.db is missing")
            let unfinished = try variant("unfinished") { try manager.removeItem(atPath: "\($0)/manifest.json") }
            refused(unfinished, .invalidArgument, saying: "manifest.json is missing")
            let garbled = try variant("garbled") { path in
                try Data("{\"format\": \"sluice-backup\", \"version\": 1,".utf8).write(
                    to: URL(fileURLWithPath: "\(path)/manifest.json"))
            }
            refused(garbled, .invalidArgument, saying: "not a backup manifest that can be read")
            let escaping = try variant("escaping") { path in
                let text = try String(contentsOfFile: "\(path)/manifest.json", encoding: .utf8)
                    .replacingOccurrences(of: "topics/orders.db", with: "../../orders.db")
                try Data(text.utf8).write(to: URL(fileURLWithPath: "\(path)/manifest.json"))
            }
            refused(escaping, .invalidArgument, saying: "must be in 'topics/orders.db'")
            let newer = try variant("newer") { path in
                let text = try String(contentsOfFile: "\(path)/manifest.json", encoding: .utf8)
                    .replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 2")
                try Data(text.utf8).write(to: URL(fileURLWithPath: "\(path)/manifest.json"))
            }
            refused(newer, .schemaTooNew, saying: "backup format 2")
            refused("\(dir)/nothing-here", .invalidArgument, saying: "not a folder holding a backup")

            // A non-empty target is refused and left as it was.
            expectError(.invalidArgument) { try Backup.restore(from: "\(dir)/good", into: "\(dir)/data") }
            #expect(try store.topics().count == 2 && FileSystem.exists("\(dir)/data/catalog.db"))
            #expect(try Backup.restore(from: "\(dir)/good", into: "\(dir)/ok").totalRecords == 180 + 1000)
            #expect(try Self.mode("\(dir)/ok") == 0o700 && Self.mode("\(dir)/ok/topics/orders.db") == 0o600)
        }
    }

    @Test func pacingParsesFromItsKnobOrFallsBackToTheDefault() {
        #expect(Backup.Pacing.parse(nil) == Backup.Pacing())
        #expect(Backup.Pacing.parse("64,2.5,0") == Backup.Pacing(pagesPerStep: 64, restPerWork: 2.5, stepsPerSync: 0))
        for bad in ["", "64", "0,1,1", "64,-1,1", "64,1,-1", "a,b,c", "64,1,1,1"] {
            #expect(Backup.Pacing.parse(bad) == nil, "\(bad)")
        }
        // A rest as long as the work, and never below the pause.
        let pacing = Backup.Pacing(pagesPerStep: 1, pause: .milliseconds(5), restPerWork: 1)
        let started = ContinuousClock.now
        pacing.rest(after: started)
        #expect(started.duration(to: .now) >= .milliseconds(5))
    }
}
