import SluiceCore
import SluiceStorage
import Testing

/// Consumer groups' committed offsets, kept in the catalog.
@Suite struct CatalogTests {
    @Test func commitAndFetchOffsets() throws {
        try withTemporaryDirectory { dir in
            let catalog = try Store(path: dir).catalog
            #expect(try catalog.committedOffsets(group: "g").isEmpty)
            #expect(try catalog.groups().isEmpty)

            try catalog.commitOffsets(
                group: "g",
                [
                    CommittedOffset(topic: "orders", partition: 1, offset: 20, metadata: "m1"),
                    CommittedOffset(topic: "audit", partition: 0, offset: 5),
                    CommittedOffset(topic: "orders", partition: 0, offset: 10),
                ], now: t0)

            #expect(
                try catalog.committedOffsets(group: "g") == [
                    CommittedOffset(topic: "audit", partition: 0, offset: 5),
                    CommittedOffset(topic: "orders", partition: 0, offset: 10),
                    CommittedOffset(topic: "orders", partition: 1, offset: 20, metadata: "m1"),
                ])
            #expect(try catalog.committedOffsets(group: "g", topic: "orders").map(\.partition) == [0, 1])
            #expect(try catalog.committedOffsets(group: "g", topic: "nothing").isEmpty)
            #expect(try catalog.committedOffsets(group: "other").isEmpty)
        }
    }

    @Test func aCommitOverwritesTheEarlierOne() throws {
        try withTemporaryDirectory { dir in
            let catalog = try Store(path: dir).catalog
            try catalog.commitOffsets(
                group: "g", [CommittedOffset(topic: "t", partition: 0, offset: 10, metadata: "old")],
                now: t0)
            try catalog.commitOffsets(
                group: "g",
                [
                    CommittedOffset(topic: "t", partition: 0, offset: 7),
                    CommittedOffset(topic: "t", partition: 1, offset: 1),
                ], now: t0 + 1)
            #expect(
                try catalog.committedOffsets(group: "g") == [
                    CommittedOffset(topic: "t", partition: 0, offset: 7),
                    CommittedOffset(topic: "t", partition: 1, offset: 1),
                ])
        }
    }

    @Test func listAndDeleteGroups() throws {
        try withTemporaryDirectory { dir in
            let catalog = try Store(path: dir).catalog
            for group in ["b", "a", "c"] {
                try catalog.commitOffsets(
                    group: group,
                    [
                        CommittedOffset(topic: "t", partition: 0, offset: 1),
                        CommittedOffset(topic: "t", partition: 1, offset: 2),
                    ], now: t0)
            }
            #expect(try catalog.groups() == ["a", "b", "c"])
            #expect(try catalog.deleteGroup("b") == 2)
            #expect(try catalog.deleteGroup("b") == 0)
            #expect(try catalog.deleteGroup("never") == 0)
            #expect(try catalog.groups() == ["a", "c"])
            #expect(try catalog.committedOffsets(group: "b").isEmpty)
            #expect(try catalog.committedOffsets(group: "a").count == 2)
        }
    }

    @Test func committedOffsetsSurviveReopening() throws {
        try withTemporaryDirectory { dir in
            let offsets = [
                CommittedOffset(topic: "t", partition: 0, offset: 42, metadata: "consumer-1"),
                CommittedOffset(topic: "t", partition: 3, offset: 0),
            ]
            do {
                try Store(path: dir).catalog.commitOffsets(group: "g", offsets, now: t0)
            }
            let catalog = try Store(path: dir).catalog
            #expect(try catalog.committedOffsets(group: "g") == offsets)
            #expect(try catalog.groups() == ["g"])
        }
    }

    @Test func deletingATopicForgetsItsCommittedOffsets() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("gone", config: TopicConfig(partitions: 2), now: t0)
            try store.createTopic("kept", config: TopicConfig(), now: t0)
            for group in ["g1", "g2"] {
                try store.catalog.commitOffsets(
                    group: group,
                    [
                        CommittedOffset(topic: "gone", partition: 0, offset: 1),
                        CommittedOffset(topic: "gone", partition: 1, offset: 2),
                        CommittedOffset(topic: "kept", partition: 0, offset: 3),
                    ], now: t0)
            }
            try store.deleteTopic("gone")
            for group in ["g1", "g2"] {
                #expect(
                    try store.catalog.committedOffsets(group: group) == [
                        CommittedOffset(topic: "kept", partition: 0, offset: 3)
                    ])
            }
            // A new topic of the same name does not inherit the old positions.
            try store.createTopic("gone", config: TopicConfig(), now: t0 + 1)
            #expect(try store.catalog.committedOffsets(group: "g1", topic: "gone").isEmpty)
        }
    }
}
