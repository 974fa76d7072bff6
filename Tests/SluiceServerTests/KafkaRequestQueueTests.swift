import Testing

@testable import SluiceServer

struct KafkaRequestQueueTests {
    @Test func requestsRunOneAtATimeAndAnswerInOrder() {
        var queue = KafkaRequestQueue<String>()
        let metadata = queue.enqueue(overlaps: false)
        let commit = queue.enqueue(overlaps: false)
        #expect(queue.startable() == [metadata])
        #expect(queue.startable() == [])
        #expect(queue.complete(metadata, answer: "metadata") == ["metadata"])
        #expect(queue.startable() == [commit])
        #expect(queue.complete(commit, answer: "commit") == ["commit"])
        #expect(queue.count == 0)
    }

    @Test func consecutiveProducesOverlapButAnswerInOrder() {
        var queue = KafkaRequestQueue<String>()
        let first = queue.enqueue(overlaps: true)
        let second = queue.enqueue(overlaps: true)
        let fetch = queue.enqueue(overlaps: false)
        let third = queue.enqueue(overlaps: true)
        #expect(queue.startable() == [first, second])
        // The second finishes first: it waits for the first's answer.
        #expect(queue.complete(second, answer: "p2") == [])
        #expect(queue.startable() == [])
        #expect(queue.complete(first, answer: "p1") == ["p1", "p2"])
        // The fetch waited for both; the produce after it waits for the fetch.
        #expect(queue.startable() == [fetch])
        #expect(queue.complete(fetch, answer: "f") == ["f"])
        #expect(queue.startable() == [third])
    }

    @Test func anUnansweredRequestTakesItsTurnWithoutAnAnswer() {
        var queue = KafkaRequestQueue<String>()
        let silent = queue.enqueue(overlaps: true)
        let next = queue.enqueue(overlaps: true)
        _ = queue.startable()
        #expect(queue.complete(next, answer: "p2") == [])
        #expect(queue.complete(silent, answer: nil) == ["p2"])
    }

    @Test func aProduceAfterANonOverlappingRequestWaits() {
        var queue = KafkaRequestQueue<String>()
        let join = queue.enqueue(overlaps: false)
        let produce = queue.enqueue(overlaps: true)
        #expect(queue.startable() == [join])
        #expect(queue.complete(join, answer: "j") == ["j"])
        #expect(queue.startable() == [produce])
    }
}
