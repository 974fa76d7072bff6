import Foundation
import NIOCore
import SluiceCore
import SluiceProtocol
import Synchronization
import Testing

/// Damaged or foreign files in the data directory, through the real server: the topic whose file is bad is answered
/// with an error naming the file, the server still starts and serves every other topic, and nothing committed
/// elsewhere is lost.
@Suite(.serialized) struct DamagedFilesTests {
    /// Starts a server with two topics: `victim` (one partition) and `bystander` (two), records in both and an
    /// offset committed for group `g` on `bystander`; stops it and returns it.
    func prepare() throws -> ServerProcess {
        let server = try ServerProcess().start()
        let connection = try RawConnection(path: server.socketPath)
        try connection.createTopic("victim")
        try connection.createTopic("bystander", partitions: 2)
        #expect(try connection.produce("victim", strings: ["v0", "v1", "v2"]).error == nil)
        #expect(try connection.produce("bystander", partition: 0, strings: ["a0", "a1"]).error == nil)
        #expect(try connection.produce("bystander", partition: 1, strings: ["b0"]).error == nil)
        #expect(
            try connection.commit(group: "g", "bystander", offsets: [0: 2, 1: 1]).topics[0].partitions
                .allSatisfy { $0.error == nil })
        #expect(server.stop() == 0)
        return server
    }

    /// Restarts on the same directory and checks that `bystander` kept everything and still takes writes.
    func expectBystanderIntact(_ connection: RawConnection) throws {
        #expect(try connection.readAllStrings("bystander", partition: 0) == ["a0", "a1"])
        #expect(try connection.readAllStrings("bystander", partition: 1) == ["b0"])
        #expect(try connection.committedOffsets(group: "g", "bystander") == [0: 2, 1: 1])
        #expect(try connection.produce("bystander", partition: 1, strings: ["b1"]).baseOffset == 1)
        #expect(try connection.readAllStrings("bystander", partition: 1) == ["b0", "b1"])
        #expect(try connection.describeTopic("bystander").partitionCount == 2)
    }

    /// Produce, fetch, describe and metadata of `topic` each fail with an error naming `file`.
    func expectErrorsNaming(
        _ file: String, topic: String, _ connection: RawConnection,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let produced = try connection.produce(topic, strings: ["more"])
        #expect(
            produced.error?.message.contains(file) == true, "\(String(describing: produced.error))",
            sourceLocation: sourceLocation)
        let fetched = try connection.fetch(topic)
        #expect(
            fetched.error?.message.contains(file) == true, "\(String(describing: fetched.error))",
            sourceLocation: sourceLocation)
        #expect(fetched.records.isEmpty, sourceLocation: sourceLocation)
        do {
            let description = try connection.describeTopic(topic)
            Issue.record("described a topic whose file is bad: \(description)", sourceLocation: sourceLocation)
        } catch {
            #expect((error as? SluiceError)?.message.contains(file) == true, "\(error)", sourceLocation: sourceLocation)
        }
        let listed = try connection.metadata().topics.first { $0.name == topic }
        #expect(
            listed?.error?.message.contains(file) == true, "\(String(describing: listed))",
            sourceLocation: sourceLocation)
    }

    @Test func aForeignFileWhereATopicDatabaseShouldBe() throws {
        let first = try prepare()
        defer { first.cleanUp() }
        let file = "\(first.dataDirectory)/topics/victim.db"
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
        let text = String(repeating: "This is a text file, not a database. ", count: 200)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))

        let server = try ServerProcess(reusing: first.dataDirectory).start()
        defer { server.stop() }
        let connection = try RawConnection(path: server.socketPath)
        try expectErrorsNaming(file, topic: "victim", connection)
        #expect(try connection.produce("victim", strings: ["x"]).error?.code == .corruptDatabase)
        try expectBystanderIntact(connection)
        // The foreign file is left as it was: Sluice does not "repair" what it does not understand.
        #expect(try String(contentsOfFile: file, encoding: .utf8) == text)
        #expect(server.log.contains("cannot open topic") && server.log.contains("victim"), "\(server.log)")
    }

    @Test func garbageBytesWhereATopicDatabaseShouldBe() throws {
        let first = try prepare()
        defer { first.cleanUp() }
        let file = "\(first.dataDirectory)/topics/victim.db"
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
        var rng = SystemRandomNumberGenerator()
        try Data((0..<20_000).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: URL(fileURLWithPath: file))

        let server = try ServerProcess(reusing: first.dataDirectory).start()
        defer { server.stop() }
        let connection = try RawConnection(path: server.socketPath)
        try expectErrorsNaming(file, topic: "victim", connection)
        try expectBystanderIntact(connection)
    }

    /// An empty file (what a crash can leave on some file systems, or a stray `touch`): SQLite would take it for a new
    /// database; it is refused as damaged, and left empty.
    @Test func anEmptyFileWhereATopicDatabaseShouldBe() throws {
        let first = try prepare()
        defer { first.cleanUp() }
        let file = "\(first.dataDirectory)/topics/victim.db"
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
        try Data().write(to: URL(fileURLWithPath: file))

        let server = try ServerProcess(reusing: first.dataDirectory).start()
        defer { server.stop() }
        let connection = try RawConnection(path: server.socketPath)
        try expectErrorsNaming(file, topic: "victim", connection)
        let error = try connection.produce("victim", strings: ["x"]).error
        #expect(
            error?.code == .corruptDatabase && error?.message.contains("empty file") == true,
            "\(String(describing: error))")
        try expectBystanderIntact(connection)
        #expect(FileSystemSize.of(file) == 0)
    }

    /// A database whose first pages were overwritten (the header survives, the schema does not).
    @Test func aTopicDatabaseWithOverwrittenPages() throws {
        let first = try prepare()
        defer { first.cleanUp() }
        let file = "\(first.dataDirectory)/topics/victim.db"
        // The stop checkpointed the WAL: the whole topic is in the main file.
        let handle = try #require(FileHandle(forUpdatingAtPath: file))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data(repeating: 0xEE, count: 8000))
        try handle.close()

        let server = try ServerProcess(reusing: first.dataDirectory).start()
        defer { server.stop() }
        let connection = try RawConnection(path: server.socketPath)
        try expectErrorsNaming(file, topic: "victim", connection)
        #expect(try connection.produce("victim", strings: ["x"]).error?.code == .corruptDatabase)
        try expectBystanderIntact(connection)
    }

    @Test func aCatalogThatListsATopicWhoseFileIsMissing() throws {
        let first = try prepare()
        defer { first.cleanUp() }
        let file = "\(first.dataDirectory)/topics/victim.db"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }

        let server = try ServerProcess(reusing: first.dataDirectory).start()
        defer { server.stop() }
        let connection = try RawConnection(path: server.socketPath)
        try expectErrorsNaming(file, topic: "victim", connection)
        try expectBystanderIntact(connection)
        // A missing file is reported, never silently recreated empty (its offsets would start again at 0).
        #expect(!FileManager.default.fileExists(atPath: file))
    }

    /// A topic whose file is bad can be deleted (the only way to get its name back short of editing files).
    @Test func aTopicWhoseFileIsBadCanBeDeleted() throws {
        let first = try prepare()
        defer { first.cleanUp() }
        let file = "\(first.dataDirectory)/topics/victim.db"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }

        let server = try ServerProcess(reusing: first.dataDirectory).start()
        defer { server.stop() }
        let connection = try RawConnection(path: server.socketPath)
        _ = try connection.call(.deleteTopic(DeleteTopicRequest(name: "victim")))
        try connection.createTopic("victim")
        #expect(try connection.produce("victim", strings: ["new"]).baseOffset == 0)
        try expectBystanderIntact(connection)
    }

    // MARK: - A truncated WAL

    /// SIGKILL under load, then the WAL cut to an odd size in the middle of its last frame: SQLite recovers to the
    /// last commit before the damage. Every acknowledged record of the earlier commits is intact; the damaged
    /// commit (a marker batch, the last write before the kill) is gone as a whole; the topic takes writes again.
    @Test func aTruncatedWALRecoversToTheLastWholeCommit() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let admin = try RawConnection(path: server.socketPath)
        try admin.createTopic("wal", partitions: 4)
        try admin.createTopic("bystander", partitions: 2)
        #expect(try admin.produce("bystander", partition: 0, strings: ["a0", "a1"]).error == nil)
        #expect(try admin.produce("bystander", partition: 1, strings: ["b0"]).error == nil)

        // Load: four producers, one per partition, each sending batches one at a time for a while.
        let acked = Mutex<[Int32: [String]]>([:])
        let stop = Atomic<Bool>(false)
        let group = DispatchGroup()
        for partition in Int32(0)..<4 {
            DispatchQueue.global().async(group: group) {
                guard let connection = try? RawConnection(path: server.socketPath) else { return }
                var sequence = 0
                while !stop.load(ordering: .relaxed) {
                    let values = (0..<(1 + sequence % 5)).map { "p\(partition)-\(sequence)-\($0)" }
                    sequence += 1
                    guard let result = try? connection.produce("wal", partition: partition, strings: values),
                        result.error == nil
                    else { return }
                    acked.withLock { $0[partition, default: []] += values }
                }
            }
        }
        try await Task.sleep(for: .milliseconds(800))
        stop.store(true, ordering: .relaxed)
        group.wait()
        // The last write before the kill: one batch, one transaction.
        let marker = try admin.produce("wal", partition: 2, strings: (0..<50).map { "marker-\($0)" })
        #expect(marker.error == nil)
        server.kill()

        let walPath = "\(server.dataDirectory)/topics/wal.db-wal"
        let wal = try WALFile(path: walPath)
        let lastCommit = try #require(wal.commitFrames.last, "the WAL holds no commit: \(wal)")
        #expect(wal.commitFrames.count > 1, "\(wal)")
        // Cut the last commit frame in half, at an odd size.
        let cut = (wal.frameOffset(lastCommit) + WALFile.frameHeaderSize + wal.pageSize / 2) | 1
        try FileHandle(forWritingAtPath: walPath).map {
            try $0.truncate(atOffset: UInt64(cut))
            try $0.close()
        }
        #expect(FileSystemSize.of(walPath) == cut)

        let restarted = try ServerProcess(reusing: server.dataDirectory).start()
        defer { restarted.stop() }
        let connection = try RawConnection(path: restarted.socketPath)
        let acks = acked.withLock { $0 }
        #expect(acks.values.reduce(0) { $0 + $1.count } > 50, "too little load: \(acks.mapValues(\.count))")
        for partition in Int32(0)..<4 {
            let stored = try connection.readAll("wal", partition: partition)
            #expect(stored.map(\.offset) == Array(0..<Int64(stored.count)), "partition \(partition) has a gap")
            let values = stored.map { String(decoding: $0.value ?? [], as: UTF8.self) }
            #expect(values == acks[partition] ?? [], "partition \(partition): acknowledged records before the damage")
        }
        // The damaged commit is gone as a whole, and its offsets are handed out again.
        let next = try connection.produce("wal", partition: 2, strings: ["after"])
        #expect(next.error == nil)
        #expect(next.baseOffset == Int64(acks[2]?.count ?? 0))
        #expect(try connection.readAllStrings("bystander", partition: 0) == ["a0", "a1"])
        #expect(try connection.readAllStrings("bystander", partition: 1) == ["b0"])

        #expect(restarted.stop() == 0)
        for database in ["catalog.db", "topics/wal.db", "topics/bystander.db"] {
            let result = sqliteIntegrityCheck("\(server.dataDirectory)/\(database)")
            #expect(result == nil || result == "ok", "\(database): \(result ?? "")")
        }
    }
}

/// The frames of a SQLite WAL file (https://sqlite.org/fileformat.html#the_write_ahead_log): a 32-byte header,
/// then frames of a 24-byte header and one page. A frame belongs to the current WAL when its salts match the header's;
/// a commit frame has a non-zero "database size after commit".
struct WALFile: CustomStringConvertible {
    static let headerSize = 32
    static let frameHeaderSize = 24

    let pageSize: Int
    /// Indexes of the valid frames that end a transaction.
    let commitFrames: [Int]
    let validFrames: Int

    init(path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func uint32(_ at: Int) -> UInt32 {
            bytes[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        guard bytes.count >= Self.headerSize, uint32(0) & 0xFFFF_FFFE == 0x377F_0682 else {
            throw SluiceError(.corruptDatabase, "\(path) is not a WAL file (\(bytes.count) bytes)")
        }
        pageSize = Int(uint32(8))
        let salts = (uint32(16), uint32(20))
        var commits: [Int] = []
        var index = 0
        while Self.headerSize + (index + 1) * (Self.frameHeaderSize + pageSize) <= bytes.count {
            let start = Self.headerSize + index * (Self.frameHeaderSize + pageSize)
            guard (uint32(start + 8), uint32(start + 12)) == salts else { break }
            if uint32(start + 4) != 0 { commits.append(index) }
            index += 1
        }
        validFrames = index
        commitFrames = commits
    }

    func frameOffset(_ index: Int) -> Int { Self.headerSize + index * (Self.frameHeaderSize + pageSize) }

    var description: String { "WAL of \(validFrames) frames of \(pageSize) bytes, commits at \(commitFrames)" }
}

enum FileSystemSize {
    static func of(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? -1
    }
}
