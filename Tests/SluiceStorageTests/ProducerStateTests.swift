import SluiceCore
import Testing

@testable import SluiceStorage

/// Idempotent appends: `TopicWriter` checks and stores each producer's sequences in the records' transaction.
@Suite struct ProducerStateTests {
    private func sequence(_ base: Int32, producer: Int64 = 7, epoch: Int16 = 0) -> BatchSequence {
        BatchSequence(producerID: producer, epoch: epoch, baseSequence: base)
    }

    private func outcomes(_ writer: TopicWriter, _ batches: [TopicWriter.PartitionAppend], now: Int64 = t0) throws
        -> [Result<TopicWriter.AppendResult, SluiceError>]
    {
        try writer.append(batches, now: now)
    }

    @Test func aResentBatchIsAnsweredWithItsOriginalOffsetsAndNotStoredAgain() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            let writer = try store.openWriter("t")
            try writer.append(partition: 0, records: records(2), now: t0)  // offsets 0-1, no producer
            #expect(
                try writer.append(partition: 0, records: records(3, from: 10), sequence: sequence(0), now: t0 + 1) == 2)
            #expect(
                try writer.append(partition: 0, records: records(2, from: 13), sequence: sequence(3), now: t0 + 2) == 5)

            let again = try outcomes(
                writer, [.init(partition: 0, records: records(3, from: 10), sequence: sequence(0))],
                now: t0 + 9)
            let result = try again[0].get()
            #expect(result.duplicate)
            #expect(result.baseOffset == 2 && result.logAppendTime == t0 + 1)
            let latest = try outcomes(
                writer, [.init(partition: 0, records: records(2, from: 13), sequence: sequence(3))])
            #expect(try latest[0].get() == .init(baseOffset: 5, count: 2, logAppendTime: t0 + 2, duplicate: true))
            #expect(try writer.offsets(partition: 0).nextOffset == 7)
            #expect(try store.openReader("t").readAll(partition: 0).count == 7)
        }
    }

    @Test func aGapOrAFirstBatchNotStartingAtZeroIsOutOfOrder() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            let writer = try store.openWriter("t")
            expectError(.outOfOrderSequence) {
                try writer.append(partition: 0, records: records(1), sequence: sequence(1), now: t0)
            }
            try writer.append(partition: 0, records: records(2), sequence: sequence(0), now: t0)
            expectError(.outOfOrderSequence) {  // 2 expected
                try writer.append(partition: 0, records: records(1), sequence: sequence(3), now: t0)
            }
            expectError(.outOfOrderSequence) {  // overlaps, but is not one of the batches appended
                try writer.append(partition: 0, records: records(1), sequence: sequence(1), now: t0)
            }
            #expect(try writer.append(partition: 0, records: records(1), sequence: sequence(2), now: t0) == 2)
            #expect(try writer.offsets(partition: 0).nextOffset == 3)
        }
    }

    @Test func anOlderEpochIsFencedAndANewerOneStartsAtZero() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            let writer = try store.openWriter("t")
            try writer.append(partition: 0, records: records(2), sequence: sequence(0, epoch: 1), now: t0)
            expectError(.invalidProducerEpoch) {
                try writer.append(partition: 0, records: records(1), sequence: sequence(2, epoch: 0), now: t0)
            }
            expectError(.outOfOrderSequence) {
                try writer.append(partition: 0, records: records(1), sequence: sequence(2, epoch: 2), now: t0)
            }
            #expect(try writer.append(partition: 0, records: records(1), sequence: sequence(0, epoch: 2), now: t0) == 2)
            expectError(.invalidProducerEpoch) {
                try writer.append(partition: 0, records: records(1), sequence: sequence(3, epoch: 1), now: t0)
            }
            #expect(try writer.producerSequence(partition: 0, producerID: 7)?.epoch == 2)
        }
    }

    @Test func theStateSurvivesClosingAndReopening() throws {
        try withTemporaryDirectory { dir in
            do {
                let store = try Store(path: dir)
                try store.createTopic("t", config: TopicConfig(partitions: 2), now: t0)
                let writer = try store.openWriter("t")
                try writer.append(partition: 1, records: records(4), sequence: sequence(0), now: t0)
                try writer.append(partition: 1, records: records(4, from: 4), sequence: sequence(4), now: t0 + 1)
            }
            let store = try Store(path: dir)
            let writer = try store.openWriter("t")
            let state = try writer.producerSequence(partition: 1, producerID: 7)
            #expect(state?.lastSequence == 7 && state?.retainedBatches == 2)
            let resent = try outcomes(writer, [.init(partition: 1, records: records(4), sequence: sequence(0))])
            #expect(try resent[0].get().duplicate && resent[0].get().baseOffset == 0)
            #expect(try writer.append(partition: 1, records: records(1), sequence: sequence(8), now: t0) == 8)
            expectError(.outOfOrderSequence) {
                try writer.append(partition: 1, records: records(1), sequence: sequence(20), now: t0)
            }
        }
    }

    @Test func twoBatchesOfOneProducerInOneTransaction() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            let writer = try store.openWriter("t")
            let results = try outcomes(
                writer,
                [
                    .init(partition: 0, records: records(3), sequence: sequence(0)),
                    .init(partition: 0, records: records(2, from: 3), sequence: sequence(3)),
                    .init(partition: 0, records: records(3), sequence: sequence(0)),  // the first one, resent at once
                ])
            let appended = try results.map { try $0.get() }
            #expect(appended.map(\.baseOffset) == [0, 3, 0])
            #expect(appended.map(\.duplicate) == [false, false, true])
            #expect(try writer.offsets(partition: 0).nextOffset == 5)
            #expect(try writer.producerSequence(partition: 0, producerID: 7)?.lastSequence == 4)
        }
    }

    @Test func aRefusedBatchDoesNotStopTheOthersOfItsTransaction() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(partitions: 2), now: t0)
            let writer = try store.openWriter("t")
            let results = try outcomes(
                writer,
                [
                    .init(partition: 0, records: records(2)),
                    .init(partition: 1, records: records(2), sequence: sequence(5)),  // a first batch must start at 0
                    .init(partition: 0, records: records(1), sequence: sequence(0, producer: 8)),
                    .init(partition: 1, records: records(1), sequence: sequence(0)),
                ])
            #expect(try results[0].get().baseOffset == 0)
            if case .failure(let error) = results[1] {
                #expect(error.code == .outOfOrderSequence)
            } else {
                Issue.record("batch 1 was not refused")
            }
            #expect(try results[2].get().baseOffset == 2)
            #expect(try results[3].get().baseOffset == 0)
            let reader = try store.openReader("t")
            #expect(try reader.readAll(partition: 0).count == 3)
            #expect(try reader.readAll(partition: 1).count == 1)
        }
    }

    @Test func retentionDeletingTheRecordsLeavesTheDuplicateAnswer() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            let writer = try store.openWriter("t")
            try writer.append(partition: 0, records: records(3), sequence: sequence(0), now: t0)
            _ = try writer.truncate(partition: 0, before: 3, maxRecords: 100)
            let resent = try outcomes(writer, [.init(partition: 0, records: records(3), sequence: sequence(0))])
            #expect(try resent[0].get() == .init(baseOffset: 0, count: 3, logAppendTime: t0, duplicate: true))
            #expect(
                try writer.offsets(partition: 0) == PartitionOffsets(partition: 0, logStartOffset: 3, nextOffset: 3))
        }
    }

    @Test func sequencesWrapPastInt32Max() {
        let near = BatchSequence(producerID: 1, epoch: 0, baseSequence: Int32.max - 1)
        #expect(near.lastSequence(count: 3) == 0)
        let state = ProducerState(epoch: 0, lastSequence: Int32.max, batches: [], lastAppendMs: t0)
        #expect(ProducerState.check(state, sequence(0), count: 1, topic: "t", partition: 0) == .append)
        #expect(ProducerState.check(state, sequence(1), count: 1, topic: "t", partition: 0) != .append)
    }

    @Test func onlyTheLastFiveBatchesAreRemembered() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            let writer = try store.openWriter("t")
            for batch in 0..<6 {
                try writer.append(partition: 0, records: records(1), sequence: sequence(Int32(batch)), now: t0)
            }
            expectError(.outOfOrderSequence) {  // the first batch is forgotten
                try writer.append(partition: 0, records: records(1), sequence: sequence(0), now: t0)
            }
            #expect(try writer.append(partition: 0, records: records(1), sequence: sequence(1), now: t0) == 1)
        }
    }

    @Test func producersIdleForAWeekAreForgottenWhenANewOneArrives() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            let writer = try store.openWriter("t")
            try writer.append(partition: 0, records: records(1), sequence: sequence(0, producer: 1), now: t0)
            let later = t0 + ProducerState.idleExpiryMs + 1
            try writer.append(partition: 0, records: records(1), sequence: sequence(0, producer: 2), now: later)
            #expect(try writer.producerSequence(partition: 0, producerID: 1) == nil)
            #expect(try writer.producerSequence(partition: 0, producerID: 2) != nil)
            #expect(try rawScalar(dir + "/topics/t.db", "SELECT count(*) FROM producer_state") == 1)
        }
    }

    @Test func producerIDsAreNeverHandedOutTwice() throws {
        try withTemporaryDirectory { dir in
            do {
                let catalog = try Catalog(path: dir + "/catalog.db")
                #expect(try catalog.lastProducerID() == -1)
                #expect(try catalog.nextProducerID() == 0)
                #expect(try catalog.nextProducerID() == 1)
            }
            let catalog = try Catalog(path: dir + "/catalog.db")
            #expect(try catalog.lastProducerID() == 1)
            #expect(try catalog.nextProducerID() == 2)
        }
    }

    @Test func producerIDBlocksFollowTheLastOneRecorded() throws {
        try withTemporaryDirectory { dir in
            do {
                let catalog = try Catalog(path: dir + "/catalog.db")
                #expect(try catalog.reserveProducerIDs(1000) == 0...999)
                #expect(try catalog.reserveProducerIDs(1000) == 1000...1999)
            }
            let catalog = try Catalog(path: dir + "/catalog.db")
            #expect(try catalog.lastProducerID() == 1999, "the row records the end of the last block")
            #expect(try catalog.reserveProducerIDs(1000) == 2000...2999)
        }
    }
}
