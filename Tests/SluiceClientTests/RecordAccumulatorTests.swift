import NIOCore
import SluiceCore
import SluiceProtocol
import Synchronization
import Testing

@testable import SluiceClient

/// The producer's state machine alone: no connection, no clock (times are passed in).
@Suite struct RecordAccumulatorTests {
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func accumulator(
        linger: Int = 5, batchSize: Int = 3, retries: Int = 2, maxInFlight: Int = 64
    ) -> RecordAccumulator {
        var configuration = ProducerConfiguration()
        configuration.lingerMs = linger
        configuration.batchSize = batchSize
        configuration.retries = retries
        configuration.maxInFlightRequests = maxInFlight
        configuration.idempotent = false
        return RecordAccumulator(configuration: configuration, maxRequestBytes: 1 << 20)
    }

    /// Collects every completion's result, in the order completions ran.
    final class Results: Sendable {
        let values = Mutex<[String: Result<RecordMetadata, SluiceError>]>([:])
        func completion(_ name: String) -> RecordCompletion {
            { result in self.values.withLock { $0[name] = result } }
        }
        subscript(_ name: String) -> Result<RecordMetadata, SluiceError>? { values.withLock { $0[name] } }
    }

    /// Has the accumulator look the topic up and get an answer, as `Producer` does.
    func learn(_ state: inout RecordAccumulator, partitions: Int32, maxMessageBytes: Int = 100) {
        _ = state.partitionCount(topic: "t") { _ in }
        _ = state.metadataLoaded(
            "t", .success(TopicInfo(partitionCount: partitions, maxMessageBytes: maxMessageBytes)), now: t0)
    }

    func record(_ value: String, key: String? = nil) -> ProducerRecord {
        ProducerRecord(key: key.map { Array($0.utf8) }, value: Array(value.utf8))
    }

    /// Runs the completions an action list asks for, as `Producer.perform` does.
    func complete(_ actions: ProducerActions) {
        for (batch, base, time) in actions.succeeded {
            for index in batch.records.indices {
                let tp = batch.topicPartition
                batch.completions[index](
                    .success(
                        RecordMetadata(
                            topic: tp.topic, partition: tp.partition, offset: base + Int64(index), timestamp: time)))
            }
        }
        for (batch, error) in actions.failedBatches {
            for completion in batch.completions { completion(.failure(error)) }
        }
        for (completion, error) in actions.failedRecords { completion(.failure(error)) }
    }

    func success(_ batches: [ProducerBatch], base: Int64 = 0) -> Result<ProduceResponse, SluiceError> {
        .success(
            ProduceResponse(
                topics: grouped(batches.map { ($0.topicPartition, ()) }) { partition, _ in
                    ProduceResponse.Partition(partition: partition, baseOffset: base, logAppendTime: 42)
                }))
    }

    func values(_ batch: ProducerBatch) -> [String] {
        batch.records.map { String(decoding: $0.value ?? [], as: UTF8.self) }
    }

    @Test func recordsWaitForMetadataAndFailOnUnknownTopic() {
        var state = accumulator()
        let results = Results()
        let first = state.enqueue(record("a"), topic: "t", partition: nil, completion: results.completion("a"), now: t0)
        #expect(first.metadataLoads.map(\.topic) == ["t"])
        let second = state.enqueue(
            record("b"), topic: "t", partition: nil, completion: results.completion("b"), now: t0)
        #expect(second.metadataLoads.isEmpty, "one lookup per topic")
        complete(state.metadataLoaded("t", .failure(.unknownTopic("t")), now: t0))
        for name in ["a", "b"] {
            guard case .failure(let error) = results[name] else {
                Issue.record("\(name) did not fail")
                continue
            }
            #expect(error.code == .unknownTopic)
        }
        #expect(state.bufferedRecords == 0)
    }

    @Test func fullBatchGoesAtOnceAndTheNextWaitsForIt() {
        var state = accumulator()
        _ = state.enqueue(record("a"), topic: "t", partition: 0, completion: { _ in }, now: t0)
        let loaded = state.metadataLoaded("t", .success(TopicInfo(partitionCount: 1, maxMessageBytes: 100)), now: t0)
        #expect(loaded.requests.isEmpty)
        #expect(loaded.lingerTimer == t0 + .milliseconds(5))
        _ = state.enqueue(record("b"), topic: "t", partition: 0, completion: { _ in }, now: t0)
        let full = state.enqueue(record("c"), topic: "t", partition: 0, completion: { _ in }, now: t0)
        #expect(full.requests.count == 1)
        #expect(full.requests.first.map { $0.flatMap(values) } == ["a", "b", "c"])
        // One batch per partition in flight: d waits for the first batch's answer, then goes at once.
        let waiting = state.enqueue(record("d"), topic: "t", partition: 0, completion: { _ in }, now: t0)
        #expect(waiting.requests.isEmpty)
        let done = state.completed(full.requests[0], success(full.requests[0]))
        #expect(done.succeeded.count == 1)
        #expect(done.requests.first.map { $0.flatMap(values) } == ["d"])
    }

    @Test func lingerTimerSendsPartialBatches() {
        var state = accumulator()
        learn(&state, partitions: 1, maxMessageBytes: 100)
        let one = state.enqueue(record("a"), topic: "t", partition: nil, completion: { _ in }, now: t0)
        #expect(one.requests.isEmpty)
        #expect(one.lingerTimer == t0 + .milliseconds(5))
        #expect(state.timerFired(now: t0 + .milliseconds(4)).requests.isEmpty)
        let fired = state.timerFired(now: t0 + .milliseconds(5))
        #expect(fired.requests.first.map { $0.flatMap(values) } == ["a"])
    }

    @Test func retriedBatchIsNotOvertaken() {
        var state = accumulator(retries: 1)
        let results = Results()
        learn(&state, partitions: 1, maxMessageBytes: 100)
        var sent: [[ProducerBatch]] = []
        for name in ["a", "b", "c"] {
            sent +=
                state.enqueue(record(name), topic: "t", partition: 0, completion: results.completion(name), now: t0)
                .requests
        }
        let failed = state.completed(sent[0], .failure(SluiceError(.storageError, "busy")))
        #expect(failed.retryTimers.map(\.0) == [TopicPartition(topic: "t", partition: 0)])
        // A record enqueued during the back-off does not go first.
        #expect(
            state.enqueue(record("d"), topic: "t", partition: 0, completion: results.completion("d"), now: t0)
                .requests.isEmpty)
        let retry = state.retryDue(TopicPartition(topic: "t", partition: 0))
        #expect(retry.requests.first.map { $0.flatMap(values) } == ["a", "b", "c"])
        // Out of retries: the batch fails, and the next one proceeds.
        let gaveUp = state.completed(retry.requests[0], .failure(SluiceError(.storageError, "busy")))
        complete(gaveUp)
        guard case .failure(let error) = results["a"] else {
            Issue.record("a did not fail")
            return
        }
        #expect(error.code == .storageError)
        #expect(gaveUp.requests.first.map { $0.flatMap(values) } == ["d"])
    }

    @Test func nonRetriablePartitionErrorFailsOnlyThatBatch() {
        var state = accumulator(batchSize: 1)
        let results = Results()
        learn(&state, partitions: 2, maxMessageBytes: 100)
        let a = state.enqueue(record("a"), topic: "t", partition: 0, completion: results.completion("a"), now: t0)
        let b = state.enqueue(record("b"), topic: "t", partition: 1, completion: results.completion("b"), now: t0)
        let batches = a.requests[0] + b.requests[0]
        let response = ProduceResponse(topics: [
            .init(
                name: "t",
                partitions: [
                    .init(
                        partition: 0, error: SluiceError(.messageTooLarge, "too big"), baseOffset: -1, logAppendTime: -1
                    ),
                    .init(partition: 1, baseOffset: 7, logAppendTime: 42),
                ])
        ])
        complete(state.completed(a.requests[0], .success(response)))
        complete(state.completed(b.requests[0], .success(response)))
        guard case .failure(let error) = results["a"], case .success(let stored) = results["b"] else {
            Issue.record("unexpected results for \(batches.count) batches")
            return
        }
        #expect(error.code == .messageTooLarge)
        #expect(stored.offset == 7)
    }

    @Test func keyedRecordsUseKafkasPartitionerAndKeylessOnesStick() {
        var state = accumulator(batchSize: 2)
        learn(&state, partitions: 5, maxMessageBytes: 100)
        let keyed = state.enqueue(record("v", key: "foobar"), topic: "t", partition: nil, completion: { _ in }, now: t0)
        #expect(keyed.requests.isEmpty)
        let expected = KafkaPartitioner.partition(forKey: Array("foobar".utf8), partitions: 5)
        #expect(state.partitions[TopicPartition(topic: "t", partition: expected)]?.queue.count == 1)
        // Keyless: two records fill a batch on one partition, the next two go to the next partition.
        var partitions: [Int32] = []
        for _ in 0..<4 {
            for request in state.enqueue(record("x"), topic: "t", partition: nil, completion: { _ in }, now: t0)
                .requests
            {
                partitions += request.map(\.topicPartition.partition)
            }
        }
        #expect(partitions.count == 2)
        if partitions.count == 2 { #expect(partitions[1] == (partitions[0] + 1) % 5) }
    }

    @Test func requestsWaitForAFreeSlot() {
        var state = accumulator(batchSize: 1, maxInFlight: 1)
        learn(&state, partitions: 2, maxMessageBytes: 100)
        let a = state.enqueue(record("a"), topic: "t", partition: 0, completion: { _ in }, now: t0)
        #expect(a.requests.count == 1)
        #expect(state.enqueue(record("b"), topic: "t", partition: 1, completion: { _ in }, now: t0).requests.isEmpty)
        let next = state.completed(a.requests[0], success(a.requests[0]))
        #expect(next.requests.first.map { $0.flatMap(values) } == ["b"])
    }

    @Test func explicitPartitionBeyondTheKnownCountLooksAgain() {
        var state = accumulator()
        let results = Results()
        learn(&state, partitions: 1, maxMessageBytes: 100)
        let grown = state.enqueue(record("a"), topic: "t", partition: 1, completion: results.completion("a"), now: t0)
        #expect(grown.metadataLoads.map(\.topic) == ["t"])
        learn(&state, partitions: 2, maxMessageBytes: 100)
        #expect(state.partitions[TopicPartition(topic: "t", partition: 1)]?.queue.count == 1)
        _ = state.enqueue(record("b"), topic: "t", partition: 5, completion: results.completion("b"), now: t0)
        complete(state.metadataLoaded("t", .success(TopicInfo(partitionCount: 2, maxMessageBytes: 100)), now: t0))
        guard case .failure(let error) = results["b"] else {
            Issue.record("b did not fail")
            return
        }
        #expect(error.code == .unknownPartition)
    }

    @Test func recordsOverMaxMessageBytesFailAlone() {
        var state = accumulator()
        let results = Results()
        learn(&state, partitions: 1, maxMessageBytes: 4)
        complete(
            state.enqueue(record("12345"), topic: "t", partition: nil, completion: results.completion("big"), now: t0))
        guard case .failure(let error) = results["big"] else {
            Issue.record("big did not fail")
            return
        }
        #expect(error.code == .messageTooLarge)
        _ = state.enqueue(record("1234"), topic: "t", partition: nil, completion: results.completion("ok"), now: t0)
        #expect(state.bufferedRecords == 1)
    }

    /// An idempotent accumulator without linger (window of five batches per partition), its first record "first"
    /// sent on partition 0 of a one-partition topic; returns that request.
    func pipelining(batchSize: Int, _ state: inout RecordAccumulator) -> [ProducerBatch] {
        var configuration = ProducerConfiguration(lingerMs: 0, batchSize: batchSize)
        configuration.idempotent = true
        state = RecordAccumulator(configuration: configuration, maxRequestBytes: 1 << 20)
        learn(&state, partitions: 1, maxMessageBytes: 100)
        let first = state.enqueue(record("first"), topic: "t", partition: 0, completion: { _ in }, now: t0)
        #expect(first.identityLoads == [.zero])
        let loaded = state.identityLoaded(.success(ProducerIdentity(producerID: 1, epoch: 0)))
        #expect(loaded.requests.map { $0.flatMap(values) } == [["first"]], "an idle partition sends at once")
        return loaded.requests.first ?? []
    }

    @Test func withoutLingerRecordsBehindABatchInFlightGoTogetherWhenItIsAnswered() {
        var state = accumulator()
        let first = pipelining(batchSize: 100, &state)
        let names = (1...10).map { "r\($0)" }
        for name in names {
            let actions = state.enqueue(record(name), topic: "t", partition: 0, completion: { _ in }, now: t0)
            #expect(actions.requests.isEmpty && actions.lingerTimer == nil, "\(name) waits behind the batch in flight")
        }
        #expect(state.partitions[TopicPartition(topic: "t", partition: 0)]?.queue.count == 10)
        let answered = state.completed(first, success(first))
        #expect(answered.succeeded.count == 1)
        #expect(answered.requests.map { $0.flatMap(values) } == [names], "one batch of the ten")
        #expect(answered.requests.first?.first?.sequence?.baseSequence == 1)
        // Once that one is answered too the partition is idle again: the next record goes at once.
        _ = state.completed(answered.requests[0], success(answered.requests[0], base: 1))
        let alone = state.enqueue(record("alone"), topic: "t", partition: 0, completion: { _ in }, now: t0)
        #expect(alone.requests.map { $0.flatMap(values) } == [["alone"]])
    }

    @Test func withoutLingerAFullBatchGoesAtOnceBehindOneInFlight() {
        var state = accumulator()
        _ = pipelining(batchSize: 3, &state)
        #expect(state.enqueue(record("a"), topic: "t", partition: 0, completion: { _ in }, now: t0).requests.isEmpty)
        #expect(state.enqueue(record("b"), topic: "t", partition: 0, completion: { _ in }, now: t0).requests.isEmpty)
        let full = state.enqueue(record("c"), topic: "t", partition: 0, completion: { _ in }, now: t0)
        #expect(full.requests.map { $0.flatMap(values) } == [["a", "b", "c"]])
        // Two in flight now; the next partial batch still waits.
        #expect(state.enqueue(record("d"), topic: "t", partition: 0, completion: { _ in }, now: t0).requests.isEmpty)
    }

    @Test func enqueueAfterCloseFails() {
        var state = accumulator()
        state.close()
        let actions = state.enqueue(record("a"), topic: "t", partition: nil, completion: { _ in }, now: t0)
        #expect(actions.failedRecords.first?.error.code == .connectionClosed)
    }
}
