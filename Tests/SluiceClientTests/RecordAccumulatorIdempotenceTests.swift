import NIOCore
import SluiceCore
import SluiceProtocol
import Synchronization
import Testing

@testable import SluiceClient

/// The idempotent producer's state machine alone: identity, sequence numbers, pipelining and resending in order.
@Suite struct RecordAccumulatorIdempotenceTests {
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let tp = TopicPartition(topic: "t", partition: 0)
    let identity = ProducerIdentity(producerID: 7, epoch: 0)

    /// Acknowledged values in completion order, and failures.
    final class Log: Sendable {
        let acked = Mutex<[(String, Int64)]>([])
        let failed = Mutex<[(String, ErrorCode)]>([])
        func completion(_ name: String) -> RecordCompletion {
            { result in
                switch result {
                case .success(let metadata): self.acked.withLock { $0.append((name, metadata.offset)) }
                case .failure(let error): self.failed.withLock { $0.append((name, error.code)) }
                }
            }
        }
        var ackedNames: [String] { acked.withLock { $0.map(\.0) } }
        var failedNames: [String] { failed.withLock { $0.map(\.0) } }
    }

    /// A ready idempotent accumulator for topic "t" with one partition, batches of `batchSize`.
    func accumulator(batchSize: Int = 2, retries: Int = 3) -> RecordAccumulator {
        var configuration = ProducerConfiguration(batchSize: batchSize, retries: retries)
        configuration.lingerMs = 1000
        var state = RecordAccumulator(configuration: configuration, maxRequestBytes: 1 << 20)
        _ = state.partitionCount(topic: "t") { _ in }
        _ = state.metadataLoaded("t", .success(TopicInfo(partitionCount: 1, maxMessageBytes: 1000)), now: t0)
        return state
    }

    /// Enqueues `count` records named from `first`; returns the requests made.
    func send(_ state: inout RecordAccumulator, _ log: Log, _ names: [String]) -> [[ProducerBatch]] {
        var requests: [[ProducerBatch]] = []
        for name in names {
            let actions = state.enqueue(
                ProducerRecord(value: Array(name.utf8)), topic: "t", partition: 0,
                completion: log.completion(name), now: t0)
            requests += actions.requests
            perform(actions)
        }
        return requests
    }

    func perform(_ actions: ProducerActions) {
        for (batch, base, time) in actions.succeeded {
            for index in batch.records.indices {
                batch.completions[index](
                    .success(
                        RecordMetadata(
                            topic: "t", partition: 0, offset: base + Int64(index), timestamp: time)))
            }
        }
        for (batch, error) in actions.failedBatches {
            for completion in batch.completions { completion(.failure(error)) }
        }
        for (completion, error) in actions.failedRecords { completion(.failure(error)) }
    }

    func answer(_ batch: ProducerBatch, base: Int64) -> Result<ProduceResponse, SluiceError> {
        .success(
            ProduceResponse(topics: [
                .init(
                    name: "t",
                    partitions: [
                        .init(partition: 0, baseOffset: base, logAppendTime: 1)
                    ])
            ]))
    }

    func refusal(_ code: ErrorCode) -> Result<ProduceResponse, SluiceError> {
        .success(
            ProduceResponse(topics: [
                .init(
                    name: "t",
                    partitions: [
                        .init(partition: 0, error: SluiceError(code, "refused"), baseOffset: -1, logAppendTime: -1)
                    ])
            ]))
    }

    func bases(_ requests: [[ProducerBatch]]) -> [Int32?] { requests.flatMap { $0.map { $0.sequence?.baseSequence } } }

    @Test func nothingIsSentBeforeTheIdentityAndThenBatchesAreNumbered() {
        var state = accumulator()
        let log = Log()
        #expect(send(&state, log, ["a", "b"]).isEmpty)
        let loaded = state.identityLoaded(.success(identity))
        #expect(bases(loaded.requests) == [0])
        #expect(loaded.requests.first?.first?.sequence == BatchSequence(identity, baseSequence: 0))
    }

    @Test func upToFiveBatchesOfAPartitionAreInFlightInOrder() {
        var state = accumulator()
        let log = Log()
        _ = send(&state, log, ["a", "b"])
        var requests = state.identityLoaded(.success(identity)).requests
        requests += send(&state, log, (1...12).map { "r\($0)" })
        // Full batches of two, until five are in flight; the rest wait.
        #expect(bases(requests) == [0, 2, 4, 6, 8])
        #expect(state.identityLoaded(.success(identity)).requests.isEmpty, "a second answer changes nothing")
        let early = state.completed(requests[1], answer(requests[1][0], base: 2))
        // An answer behind an unanswered batch is held: acknowledgements go in order, and its slot stays taken.
        #expect(early.succeeded.isEmpty && early.requests.isEmpty)
        let head = state.completed(requests[0], answer(requests[0][0], base: 0))
        perform(head)
        #expect(log.ackedNames == ["a", "b", "r1", "r2"])
        #expect(bases(head.requests) == [10, 12])
    }

    @Test func afterAFailureTheBatchesGoAgainInOrderWithTheirSequences() {
        var state = accumulator()
        let log = Log()
        _ = send(&state, log, ["x", "y"])
        let sent =
            state.identityLoaded(.success(identity)).requests + send(&state, log, ["a", "b", "c", "d", "e", "f"])
        #expect(bases(sent) == [0, 2, 4, 6])
        perform(state.completed(sent[0], answer(sent[0][0], base: 0)))
        #expect(log.ackedNames == ["x", "y"])
        // The connection drops under batch 1; the server refuses 2 and 3 as out of order.
        perform(state.completed(sent[1], .failure(SluiceError(.connectionClosed, "gone"))))
        perform(state.completed(sent[2], refusal(.outOfOrderSequence)))
        let last = state.completed(sent[3], refusal(.outOfOrderSequence))
        #expect(last.retryTimers.map(\.0) == [tp])
        #expect(last.requests.isEmpty)
        let again = state.retryDue(tp)
        #expect(bases(again.requests) == [2, 4, 6], "same sequences, in order, one request each")
        #expect(again.requests.allSatisfy { $0.count == 1 })
        for (index, request) in again.requests.enumerated() {
            perform(state.completed(request, answer(request[0], base: 2 + 2 * Int64(index))))
        }
        #expect(log.ackedNames == ["x", "y", "a", "b", "c", "d", "e", "f"])
        #expect(log.acked.withLock { $0.map(\.1) } == Array(0...7))
    }

    @Test func aBatchThatFailsForGoodRestartsTheSequenceAtANewEpoch() {
        var state = accumulator(retries: 3)
        let log = Log()
        _ = send(&state, log, ["x", "y"])
        let sent = state.identityLoaded(.success(identity)).requests + send(&state, log, ["a", "b", "c", "d"])
        perform(state.completed(sent[0], answer(sent[0][0], base: 0)))
        perform(state.completed(sent[1], refusal(.messageTooLarge)))
        perform(state.completed(sent[2], refusal(.outOfOrderSequence)))
        #expect(log.failedNames == ["a", "b"])
        let again = state.retryDue(tp)
        #expect(again.requests.first?.first?.sequence == BatchSequence(producerID: 7, epoch: 1, baseSequence: 0))
        #expect(
            again.requests.first.map { $0.flatMap { $0.records.map(\.value) } } == [Array("c".utf8), Array("d".utf8)])
    }

    @Test func anOutOfOrderAnswerToTheFirstBatchStartsOverAtANewEpoch() {
        var state = accumulator()
        let log = Log()
        _ = send(&state, log, ["x", "y"])
        let sent = state.identityLoaded(.success(identity)).requests
        perform(state.completed(sent[0], refusal(.outOfOrderSequence)))  // the server forgot this producer
        let again = state.retryDue(tp)
        #expect(again.requests.first?.first?.sequence == BatchSequence(producerID: 7, epoch: 1, baseSequence: 0))
        perform(state.completed(again.requests[0], answer(again.requests[0][0], base: 4)))
        #expect(log.ackedNames == ["x", "y"])
    }

    @Test func anUnknownProducerIDFailsTheBatchAndTheNextOnesAskForANewID() {
        var state = accumulator()
        let log = Log()
        _ = send(&state, log, ["x", "y"])
        let sent = state.identityLoaded(.success(identity)).requests
        perform(state.completed(sent[0], refusal(.unknownProducerID)))
        #expect(log.failedNames == ["x", "y"])
        _ = state.enqueue(
            ProducerRecord(value: [1]), topic: "t", partition: 0, completion: log.completion("a"), now: t0)
        let full = state.enqueue(
            ProducerRecord(value: [2]), topic: "t", partition: 0, completion: log.completion("b"), now: t0)
        #expect(full.identityLoads == [.zero] && full.requests.isEmpty)
        let renewed = state.identityLoaded(.success(ProducerIdentity(producerID: 8, epoch: 0)))
        #expect(renewed.requests.first?.first?.sequence?.producerID == 8)
    }

    @Test func aServerWithoutIdempotenceIsUsedWithoutSequences() {
        var state = accumulator()
        let log = Log()
        _ = send(&state, log, ["x", "y"])
        let loaded = state.identityLoaded(.failure(SluiceError(.unsupportedRequest, "unknown API key 20")))
        #expect(bases(loaded.requests) == [nil])
        // One batch in flight at a time, as before.
        #expect(send(&state, log, ["a", "b", "c", "d"]).isEmpty)
    }
}
