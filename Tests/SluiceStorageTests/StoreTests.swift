import Foundation
import SluiceCore
import Testing

@testable import SluiceStorage

@Suite struct StoreTests {
    @Test func createListAndDescribeTopics() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            #expect(try store.topics().isEmpty)

            let config = TopicConfig(
                partitions: 3, retentionMs: 60_000, retentionBytes: 1 << 30, retentionRecords: 1000,
                cleanupPolicy: [.compact, .delete], durability: .normal, maxMessageBytes: 4096
            )
            let orders = try store.createTopic("orders", config: config, now: t0)
            #expect(orders == TopicDefinition(name: "orders", config: config, createdAt: t0, topicID: orders.topicID))
            let audit = try store.createTopic("audit", config: TopicConfig(), now: t0 + 1)
            #expect(!orders.topicID.isZero && !audit.topicID.isZero && orders.topicID != audit.topicID)

            #expect(try store.topics() == [audit, orders])
            #expect(try store.topic("orders") == orders)
            #expect(fileExists("\(dir)/catalog.db"))
            #expect(fileExists("\(dir)/topics/orders.db"))

            let reader = try store.openReader("orders")
            for partition: Int32 in 0..<3 {
                #expect(
                    try reader.offsets(partition: partition)
                        == PartitionOffsets(partition: partition, logStartOffset: 0, nextOffset: 0))
            }
            expectError(.unknownPartition) { try reader.offsets(partition: 3) }
        }
    }

    @Test(arguments: [
        "", ".", "..", "a/b", "../escape", "with space", "naïve", "tab\t", String(repeating: "x", count: 250),
    ])
    func invalidTopicNamesAreRefused(name: String) throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            expectError(.invalidTopicName) { try store.createTopic(name, config: TopicConfig(), now: t0) }
            #expect(try store.topics().isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/topics").isEmpty)
        }
    }

    /// Every legal name works, the longest ones too (too long for a file name with SQLite's suffixes as they are).
    @Test func legalTopicNamesAreAccepted() throws {
        try withTemporaryDirectory { dir in
            let long = String(repeating: "x", count: TopicName.maxLength - 1)
            let names = [
                "a", "A.b_c-9", "...", long + "1", long + "2", String(long.prefix(244)), String(long.prefix(245)),
            ]
            do {
                let store = try Store(path: dir)
                for (index, name) in names.enumerated() {
                    try store.createTopic(name, config: TopicConfig(), now: t0)
                    try store.openWriter(name).append(partition: 0, records: records(index + 1), now: t0)
                }
            }
            let store = try Store(path: dir)
            #expect(try store.topics().map(\.name) == names.sorted())
            for (index, name) in names.enumerated() {
                #expect(try store.openReader(name).readAll(partition: 0).count == index + 1, "\(name)")
            }
            for name in names {
                try store.deleteTopic(name)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/topics").isEmpty)
        }
    }

    @Test func invalidSettingsAreRefusedBeforeAnythingIsCreated() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            for config in [TopicConfig(partitions: 0), TopicConfig(retentionMs: -1), TopicConfig(maxMessageBytes: 0)] {
                expectError(.invalidArgument) { try store.createTopic("t", config: config, now: t0) }
            }
            #expect(try store.topics().isEmpty)
            #expect(!fileExists("\(dir)/topics/t.db"))
        }
    }

    @Test func duplicateTopicIsRefusedAndLeftAsItWas() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            let first = try store.createTopic("t", config: TopicConfig(partitions: 2), now: t0)
            try store.openWriter("t").append(partition: 1, records: records(3), now: t0)

            expectError(.topicAlreadyExists) {
                try store.createTopic("t", config: TopicConfig(partitions: 5), now: t0 + 1)
            }
            #expect(try store.topic("t") == first)
            #expect(try store.openReader("t").offsets(partition: 1).nextOffset == 3)
        }
    }

    @Test func unknownTopicIsReportedByEveryOperation() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            expectError(.unknownTopic) { try store.topic("nope") }
            expectError(.unknownTopic) { try store.openWriter("nope") }
            expectError(.unknownTopic) { try store.openReader("nope") }
            expectError(.unknownTopic) { try store.deleteTopic("nope") }
            expectError(.unknownTopic) { try store.alterTopic("nope") { $0.partitions = 2 } }
        }
    }

    @Test func alterAddsPartitionsUnderAnOpenWriter() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(partitions: 1), now: t0)
            let writer = try store.openWriter("t")
            try writer.append(partition: 0, records: records(2), now: t0)
            expectError(.unknownPartition) { try writer.append(partition: 2, records: records(1), now: t0) }

            let altered = try store.alterTopic("t") { $0.partitions = 3 }
            #expect(altered.config.partitions == 3)
            #expect(try store.topic("t").config.partitions == 3)

            #expect(try writer.append(partition: 2, records: records(4), now: t0) == 0)
            #expect(try writer.append(partition: 0, records: records(1), now: t0) == 2)
            let reader = try store.openReader("t")
            #expect(try reader.offsets(partition: 1).nextOffset == 0)
            #expect(try reader.readAll(partition: 2).count == 4)
            #expect(try reader.readAll(partition: 0).map(\.offset) == [0, 1, 2])
        }
    }

    @Test func alterRefusesFewerPartitions() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            let topic = try store.createTopic("t", config: TopicConfig(partitions: 3), now: t0)
            let error = expectError(.invalidArgument) { try store.alterTopic("t") { $0.partitions = 2 } }
            #expect(error?.message.contains("partitions") == true)
            expectError(.invalidArgument) { try store.alterTopic("t") { $0.retentionMs = 0 } }
            #expect(try store.topic("t") == topic)
        }
    }

    @Test func alterChangesSettingsDurably() throws {
        try withTemporaryDirectory { dir in
            var expected = TopicConfig()
            let created: TopicDefinition
            do {
                let store = try Store(path: dir)
                created = try store.createTopic("t", config: expected, now: t0)
                let altered = try store.alterTopic("t") { config in
                    config.retentionMs = nil
                    config.retentionBytes = 1_000_000
                    config.retentionRecords = 50
                    config.cleanupPolicy = .compact
                    config.durability = .normal
                    config.maxMessageBytes = 2048
                }
                expected.retentionMs = nil
                expected.retentionBytes = 1_000_000
                expected.retentionRecords = 50
                expected.cleanupPolicy = .compact
                expected.durability = .normal
                expected.maxMessageBytes = 2048
                #expect(altered.config == expected)
                #expect(altered.createdAt == t0)
            }
            let reopened = try Store(path: dir)
            #expect(
                try reopened.topic("t")
                    == TopicDefinition(name: "t", config: expected, createdAt: t0, topicID: created.topicID),
                "the id survives an alter and a reopen")
        }
    }

    @Test func deleteRemovesTheTopicAndItsFiles() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("gone", config: TopicConfig(partitions: 2), now: t0)
            try store.createTopic("kept", config: TopicConfig(), now: t0)
            do {
                let writer = try store.openWriter("gone")
                try writer.append(partition: 1, records: records(10), now: t0)
                let reader = try store.openReader("gone")
                #expect(try reader.readAll(partition: 1).count == 10)
            }  // Writers and readers close before the delete.
            #expect(store.diskSize("gone") > 0)

            try store.deleteTopic("gone")
            #expect(try store.topics().map(\.name) == ["kept"])
            expectError(.unknownTopic) { try store.topic("gone") }
            for file in ["gone.db", "gone.db-wal", "gone.db-shm"] {
                #expect(!fileExists("\(dir)/topics/\(file)"), "\(file) is left behind")
            }
            #expect(fileExists("\(dir)/topics/kept.db"))

            // The name is free again, and the new topic starts from offset 0.
            try store.createTopic("gone", config: TopicConfig(), now: t0 + 1)
            #expect(try store.openWriter("gone").append(partition: 0, records: records(1), now: t0) == 0)
        }
    }

    @Test func reopeningKeepsEverything() throws {
        try withTemporaryDirectory { dir in
            let written = (0..<5).map {
                ProducerRecord(
                    key: [UInt8($0)], value: Array("value \($0)".utf8), headers: [Header(name: "h", value: [1])],
                    timestamp: t0 + Int64($0))
            }
            do {
                let store = try Store(path: dir)
                try store.createTopic("a", config: TopicConfig(partitions: 2, durability: .normal), now: t0)
                try store.createTopic("b", config: TopicConfig(retentionRecords: 7), now: t0 + 1)
                let writer = try store.openWriter("a")
                try writer.append(partition: 0, records: written, now: t0)
                try writer.append(partition: 1, records: Array(written.prefix(2)), now: t0)
                try store.catalog.commitOffsets(
                    group: "g", [CommittedOffset(topic: "a", partition: 0, offset: 3)], now: t0)
            }
            let store = try Store(path: dir)
            #expect(try store.topics().map(\.name) == ["a", "b"])
            #expect(try store.topic("a").config == TopicConfig(partitions: 2, durability: .normal))
            #expect(try store.topic("b").config.retentionRecords == 7)
            #expect(
                try store.catalog.committedOffsets(group: "g") == [CommittedOffset(topic: "a", partition: 0, offset: 3)]
            )

            let reader = try store.openReader("a")
            let stored = try reader.readAll(partition: 0)
            #expect(
                stored
                    == written.enumerated().map { index, record in
                        Record(
                            offset: Int64(index), timestamp: record.timestamp!, key: record.key, value: record.value,
                            headers: record.headers)
                    })
            #expect(
                try reader.offsets(partition: 1) == PartitionOffsets(partition: 1, logStartOffset: 0, nextOffset: 2))
            #expect(try store.openWriter("a").append(partition: 0, records: records(1), now: t0) == 5)
        }
    }

    @Test func aSecondStoreOnTheSameDirectoryIsRefused() throws {
        try withTemporaryDirectory { dir in
            do {
                let first = try Store(path: dir)
                let error = expectError(.storageError) { try Store(path: dir) }
                #expect(error?.message.contains("in use") == true, "\(String(describing: error))")
                withExtendedLifetime(first) {}
            }
            // Once the first is closed, the directory opens again.
            _ = try Store(path: dir)
        }
    }

    /// A crash between the catalog and the file system leaves a row `creating` or `deleting`; opening finishes it.
    @Test(arguments: ["creating", "deleting"])
    func openFinishesAnInterruptedAdminOperation(state: String) throws {
        try withTemporaryDirectory { dir in
            do {
                let store = try Store(path: dir)
                try store.createTopic("interrupted", config: TopicConfig(), now: t0)
                try store.createTopic("fine", config: TopicConfig(), now: t0)
                try store.openWriter("interrupted").append(partition: 0, records: records(3), now: t0)
                try store.catalog.commitOffsets(
                    group: "g", [CommittedOffset(topic: "interrupted", partition: 0, offset: 1)],
                    now: t0)
            }
            try rawExecute("\(dir)/catalog.db", "UPDATE topics SET state = '\(state)' WHERE name = 'interrupted'")

            let store = try Store(path: dir)
            #expect(try store.topics().map(\.name) == ["fine"])
            #expect(try rawScalar("\(dir)/catalog.db", "SELECT count(*) FROM topics WHERE name = 'interrupted'") == 0)
            #expect(try store.catalog.committedOffsets(group: "g").isEmpty)
            for file in ["interrupted.db", "interrupted.db-wal", "interrupted.db-shm"] {
                #expect(!fileExists("\(dir)/topics/\(file)"), "\(file) is left behind")
            }
            #expect(fileExists("\(dir)/topics/fine.db"))
            try store.createTopic("interrupted", config: TopicConfig(), now: t0)
        }
    }

    /// How far a delete got before a crash: its tombstone written; the topic's files removed too; the catalog row
    /// gone too. Opening finishes each the same way, and removes nothing else.
    enum DeleteStage: String, CaseIterable { case tombstone, filesRemoved, rowRemoved }

    @Test(arguments: DeleteStage.allCases)
    func openFinishesADeleteInterruptedAfterItsTombstone(stage: DeleteStage) throws {
        try withTemporaryDirectory { dir in
            do {
                let store = try Store(path: dir)
                try store.createTopic("interrupted", config: TopicConfig(), now: t0)
                try store.createTopic("fine", config: TopicConfig(), now: t0)
                try store.openWriter("interrupted").append(partition: 0, records: records(3), now: t0)
                try store.catalog.commitOffsets(
                    group: "g", [CommittedOffset(topic: "interrupted", partition: 0, offset: 1)],
                    now: t0)
            }
            let tombstone = DataDirectory(path: dir).tombstonePath("interrupted")
            #expect(tombstone == "\(dir)/topics/interrupted.db-deleted")
            #expect(FileManager.default.createFile(atPath: tombstone, contents: nil))
            if stage != .tombstone {
                try FileManager.default.removeItem(atPath: "\(dir)/topics/interrupted.db")
            }
            if stage == .rowRemoved {
                try rawExecute("\(dir)/catalog.db", "DELETE FROM topics WHERE name = 'interrupted'")
                try rawExecute("\(dir)/catalog.db", "DELETE FROM group_offsets WHERE topic = 'interrupted'")
            }

            let store = try Store(path: dir)
            #expect(try store.topics().map(\.name) == ["fine"])
            #expect(store.unfinishedDeletes.isEmpty)
            #expect(try rawScalar("\(dir)/catalog.db", "SELECT count(*) FROM topics WHERE name = 'interrupted'") == 0)
            #expect(try store.catalog.committedOffsets(group: "g").isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/topics") == ["fine.db"])
            try store.createTopic("interrupted", config: TopicConfig(), now: t0)
            #expect(try store.openWriter("interrupted").append(partition: 0, records: records(1), now: t0) == 0)
        }
    }

    /// Once its tombstone exists a delete has happened, even when the catalog cannot commit its part (here another
    /// connection holds the write lock; on a full disk, others took the freed space): the topic's files are gone, it
    /// is hidden from every lookup, and the catalog forgets it at the next admin operation that can write.
    @Test func aDeleteTheCatalogRefusesIsHiddenAndFinishedLater() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("gone", config: TopicConfig(), now: t0)
            try store.createTopic("kept", config: TopicConfig(), now: t0)
            try store.openWriter("gone").append(partition: 0, records: records(5), now: t0)
            try store.catalog.commitOffsets(
                group: "g", [CommittedOffset(topic: "gone", partition: 0, offset: 2)], now: t0)

            store.catalog.connection.setBusyTimeout(milliseconds: 0)
            let blocker = try Connection(path: "\(dir)/catalog.db")
            try blocker.execute("BEGIN IMMEDIATE")
            try store.deleteTopic("gone")
            #expect(store.unfinishedDeletes == ["gone"])
            #expect(try store.topics().map(\.name) == ["kept"])
            expectError(.unknownTopic) { try store.topic("gone") }
            expectError(.unknownTopic) { try store.openReader("gone") }
            expectError(.unknownTopic) { try store.deleteTopic("gone") }
            expectError(.topicBeingDeleted) { try store.createTopic("gone", config: TopicConfig(), now: t0) }
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: "\(dir)/topics").sorted()
                    == ["gone.db-deleted", "kept.db"])
            #expect(try rawScalar("\(dir)/catalog.db", "SELECT count(*) FROM topics WHERE name = 'gone'") == 1)

            blocker.rollback()
            try store.createTopic("gone", config: TopicConfig(), now: t0 + 1)
            #expect(store.unfinishedDeletes.isEmpty)
            #expect(try store.catalog.committedOffsets(group: "g").isEmpty)
            #expect(try store.topic("gone").createdAt == t0 + 1)
            #expect(try store.openWriter("gone").append(partition: 0, records: records(1), now: t0) == 0)
            #expect(!fileExists("\(dir)/topics/gone.db-deleted"))
        }
    }
}
