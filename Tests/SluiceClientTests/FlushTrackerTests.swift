import Testing

@testable import SluiceClient

@Suite struct FlushTrackerTests {
    @Test func flushWithNothingOutstandingReturnsAtOnce() {
        var tracker = FlushTracker<Int>()
        #expect(tracker.addFlushWaiter(1) == 1)
        #expect(!tracker.isFlushing)
    }

    @Test func flushWaitsOnlyForEarlierRecords() {
        var tracker = FlushTracker<Int>()
        let a = tracker.add()
        let b = tracker.add()
        #expect(tracker.addFlushWaiter(1) == nil)
        #expect(tracker.isFlushing)
        let c = tracker.add()  // after the flush: not waited for
        #expect(tracker.outstanding == 3)
        #expect(tracker.remove([a], capacityLimit: 100).isEmpty)
        #expect(tracker.remove([c], capacityLimit: 100).isEmpty)
        #expect(tracker.remove([b], capacityLimit: 100) == [1])
        #expect(!tracker.isFlushing)
        #expect(tracker.outstanding == 0)
    }

    @Test func laterFlushWaitsForEarlierEpochsToo() {
        var tracker = FlushTracker<Int>()
        let a = tracker.add()
        #expect(tracker.addFlushWaiter(1) == nil)
        let b = tracker.add()
        #expect(tracker.addFlushWaiter(2) == nil)
        // b completes first (another partition): the second flush still waits for a.
        #expect(tracker.remove([b], capacityLimit: 100).isEmpty)
        #expect(tracker.remove([a], capacityLimit: 100).sorted() == [1, 2])
    }

    @Test func capacityWaitersResumeBelowTheLimit() {
        var tracker = FlushTracker<Int>()
        let epochs = (0..<3).map { _ in tracker.add() }
        #expect(tracker.addCapacityWaiter(7, limit: 4) == 7)
        #expect(tracker.addCapacityWaiter(8, limit: 3) == nil)
        #expect(tracker.remove([epochs[0]], capacityLimit: 3) == [8])
    }
}
