import Foundation
import SluiceCore
import Testing

@testable import SluiceStorage

/// `RetentionSweep`: the order of its steps, their sizing and pacing, and a whole sweep on a real file.
@Suite struct RetentionSweepTests {
    @Test func stepsFollowThePolicy() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(partitions: 2, cleanupPolicy: [.compact, .delete]), now: t0)
            let writer = try store.openWriter("t")
            let config = try store.topic("t").config
            var sweep = RetentionSweep(policy: config.cleanupPolicy, partitions: 2, now: t0)
            var steps: [RetentionSweep.Step] = []
            while let step = sweep.currentStep {
                steps.append(step)
                #expect(try sweep.step(writer, config: config, writerIsIdle: true) == .progressed)
            }
            #expect(
                steps == [
                    .compact(partition: 0), .removeTombstones(partition: 0), .truncate(partition: 0),
                    .compact(partition: 1), .removeTombstones(partition: 1), .truncate(partition: 1),
                    .reclaimSpace, .checkpoint,
                ])
            #expect(try sweep.step(writer, config: config, writerIsIdle: true) == .finished)
        }
    }

    /// A whole sweep through the steps deletes what the policies say, raises the log start, and gives space back.
    @Test func aSweepDeletesReclaimsAndReportsTheLogStart() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            let config = TopicConfig(retentionMs: 60_000, retentionBytes: nil)
            try store.createTopic("t", config: config, now: t0)
            let writer = try store.openWriter("t")
            let value = [UInt8](repeating: 1, count: 1000)
            for batch in 0..<10 {
                try writer.append(
                    partition: 0,
                    records: (0..<1000).map { _ in
                        ProducerRecord(value: value, timestamp: t0 + Int64(batch))
                    }, now: t0)
            }
            var sweep = RetentionSweep(policy: .delete, partitions: 1, now: t0 + 60_005)
            var starts: [Int64] = []
            while true {
                let outcome = try sweep.step(writer, config: config, writerIsIdle: true)
                if outcome == .finished { break }
                if case .logStartRaised(_, let offset) = outcome { starts.append(offset) }
            }
            // Records stamped t0 … t0+4 are older than 60 s at t0+60,005; t0+5 … t0+9 are not.
            #expect(starts.last == 5_000)
            #expect(starts == starts.sorted())
            #expect(sweep.deletedRecords == 5_000)
            #expect(sweep.deletedBytes == 5_000_000)
            #expect(sweep.reclaimedPages > 0)
            #expect(!sweep.spaceLeftToReclaim)
            #expect(try writer.offsets(partition: 0).logStartOffset == 5_000)
        }
    }

    /// A sweep goes no further than the next offset it found: appends made meanwhile wait for the next sweep.
    @Test func aSweepStopsAtItsHorizon() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            let config = TopicConfig(retentionMs: 1_000, retentionBytes: nil, cleanupPolicy: [.compact, .delete])
            try store.createTopic("t", config: config, now: t0)
            let writer = try store.openWriter("t")
            func old(_ range: Range<Int>) -> [ProducerRecord] {
                range.map { ProducerRecord(key: Array("k\($0 % 7)".utf8), value: [1], timestamp: t0) }
            }
            try writer.append(partition: 0, records: old(0..<300), now: t0)
            var sweep = RetentionSweep(policy: config.cleanupPolicy, partitions: 1, now: t0 + 10_000)
            _ = try sweep.step(writer, config: config, writerIsIdle: true)  // the first compaction chunk
            try writer.append(partition: 0, records: old(300..<400), now: t0)
            while try sweep.step(writer, config: config, writerIsIdle: true) != .finished {}
            let status = try writer.status(partition: 0)
            #expect(status.logStartOffset == 300)
            #expect(status.compactionBacklog == 100)
        }
    }

    @Test func costEstimatesSizeStepsToTheBudget() {
        var cost = CostEstimate()
        #expect(cost.units(for: .milliseconds(1), initial: 128, maximum: 10_000) == 128)
        cost.add(units: 100, took: .microseconds(200))  // 2 µs each
        #expect(cost.units(for: .milliseconds(1), initial: 128, maximum: 10_000) == 500)
        #expect(cost.units(for: .seconds(1), initial: 128, maximum: 10_000) == 10_000)
        cost.add(units: 10, took: .seconds(1))
        #expect(cost.units(for: .microseconds(1), initial: 128, maximum: 10_000) == 16, "a slow step still moves")
        cost.add(units: 0, took: .seconds(5))
        #expect(cost.nanosPerUnit! < 1e9, "an empty step teaches nothing")
    }

    /// Back to back while the writer is idle; one step per interval while appends keep it busy.
    @Test func pacingYieldsToAppends() throws {
        var sweep = RetentionSweep(policy: .delete, partitions: 1, now: t0)
        let start = ContinuousClock.now
        // No append for a while: at once. Before any step, even a busy writer lets the first one run.
        let neverAppended = sweep.delayBeforeNextStep(writerIsIdle: true, lastAppend: nil, now: start)
        let longIdle = sweep.delayBeforeNextStep(writerIsIdle: true, lastAppend: start - .seconds(1), now: start)
        let firstStep = sweep.delayBeforeNextStep(writerIsIdle: false, lastAppend: start, now: start)
        #expect([neverAppended, longIdle, firstStep] == [nil, nil, nil])

        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            _ = try sweep.step(try store.openWriter("t"), config: TopicConfig(), writerIsIdle: true)
        }
        let after = ContinuousClock.now
        // An append just ended, or one is waiting: look again within a millisecond (the writer may go idle),
        // until the busy interval has passed since the last step.
        let justAppended = sweep.delayBeforeNextStep(writerIsIdle: true, lastAppend: after, now: after)
        let appendWaiting = sweep.delayBeforeNextStep(writerIsIdle: false, lastAppend: after, now: after)
        let intervalPassed = sweep.delayBeforeNextStep(
            writerIsIdle: false, lastAppend: after,
            now: after + .milliseconds(300))
        #expect(justAppended.map { $0 > .zero && $0 <= .milliseconds(1) } == true)
        #expect(appendWaiting.map { $0 > .zero && $0 <= .milliseconds(1) } == true)
        #expect(intervalPassed == nil)
    }

    /// A sweep held back by appends for long gets steps more often, so retention catches up with any load.
    @Test func theBusyIntervalShortensAsTheSweepDragsOn() throws {
        var sweep = RetentionSweep(policy: .delete, partitions: 1, now: t0)
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir)
            try store.createTopic("t", config: TopicConfig(), now: t0)
            _ = try sweep.step(try store.openWriter("t"), config: TopicConfig(), writerIsIdle: true)
        }
        let now = ContinuousClock.now
        #expect(sweep.busyInterval(now: now) > .milliseconds(249))
        #expect(sweep.busyInterval(now: now + .seconds(300)) <= .milliseconds(125))
        #expect(sweep.busyInterval(now: now + .seconds(300)) > .milliseconds(124))
        #expect(sweep.busyInterval(now: now + .seconds(36_000)) == .milliseconds(250) / 8)
    }
}
