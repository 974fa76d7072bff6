import SluiceCore
import Testing

@testable import SluiceMirror

@Suite struct DeliveryTrackerTests {
    let tp = TopicPartition(topic: "orders", partition: 0)
    let other = TopicPartition(topic: "orders", partition: 1)

    @Test func nothingIsCommittableBeforeAnAcknowledgement() {
        var tracker = DeliveryTracker()
        tracker.sent(tp, offset: 0)
        tracker.sent(tp, offset: 1)
        #expect(tracker.committable(tp) == nil)
        #expect(tracker.takeCommittable().isEmpty)
        #expect(tracker.inFlightCount == 2)
    }

    @Test func commitsOnlyTheAcknowledgedPrefix() {
        var tracker = DeliveryTracker()
        for offset in Int64(0)..<5 { tracker.sent(tp, offset: offset) }
        tracker.acknowledged(tp, offset: 1)
        tracker.acknowledged(tp, offset: 2)
        #expect(tracker.committable(tp) == nil, "offset 0 is not acknowledged yet")
        tracker.acknowledged(tp, offset: 0)
        #expect(tracker.committable(tp) == 3)
        tracker.acknowledged(tp, offset: 4)
        #expect(tracker.committable(tp) == 3, "offset 3 is still out")
        tracker.acknowledged(tp, offset: 3)
        #expect(tracker.committable(tp) == 5)
        #expect(tracker.inFlightCount == 0)
    }

    @Test func gapsInSourceOffsetsDoNotBlockTheCommit() {
        var tracker = DeliveryTracker()
        // Compaction and retention leave gaps: 10, 14, 20 were read in that order.
        for offset: Int64 in [10, 14, 20] { tracker.sent(tp, offset: offset) }
        tracker.acknowledged(tp, offset: 10)
        tracker.acknowledged(tp, offset: 14)
        #expect(tracker.committable(tp) == 15)
        tracker.acknowledged(tp, offset: 20)
        #expect(tracker.committable(tp) == 21)
    }

    @Test func partitionsAreIndependent() {
        var tracker = DeliveryTracker()
        tracker.sent(tp, offset: 0)
        tracker.sent(other, offset: 7)
        tracker.acknowledged(other, offset: 7)
        #expect(tracker.takeCommittable() == [other: 8])
        #expect(tracker.committable(tp) == nil)
    }

    @Test func takeCommittableReturnsOnlyChangesAndAFailedCommitComesBack() {
        var tracker = DeliveryTracker()
        tracker.sent(tp, offset: 0)
        tracker.acknowledged(tp, offset: 0)
        let first = tracker.takeCommittable()
        #expect(first == [tp: 1])
        #expect(tracker.takeCommittable().isEmpty)
        tracker.commitFailed(first)
        #expect(tracker.takeCommittable() == [tp: 1])
        tracker.sent(tp, offset: 1)
        tracker.acknowledged(tp, offset: 1)
        #expect(tracker.takeCommittable() == [tp: 2])
    }

    @Test func aFailedDeliveryIsReportedAndHoldsItsPartitionBack() {
        var tracker = DeliveryTracker()
        for offset in Int64(0)..<3 { tracker.sent(tp, offset: offset) }
        tracker.acknowledged(tp, offset: 0)
        tracker.failed(tp, offset: 1, reason: "Local: Message timed out")
        tracker.acknowledged(tp, offset: 2)
        #expect(tracker.committable(tp) == 1)
        #expect(tracker.failure?.0 == tp)
        #expect(tracker.failure?.1 == 1)
    }

    @Test func manyRecordsKeepTheCommitRight() {
        var tracker = DeliveryTracker()
        for offset in Int64(0)..<5_000 { tracker.sent(tp, offset: offset) }
        // Acknowledge in pairs swapped: 1, 0, 3, 2, ...
        for pair in stride(from: Int64(0), to: 5_000, by: 2) {
            tracker.acknowledged(tp, offset: pair + 1)
            #expect(tracker.committable(tp) == (pair == 0 ? nil : pair))
            tracker.acknowledged(tp, offset: pair)
        }
        #expect(tracker.committable(tp) == 5_000)
        #expect(tracker.inFlightCount == 0)
    }
}
