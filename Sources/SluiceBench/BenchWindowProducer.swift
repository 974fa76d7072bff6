import Dispatch
import SluiceClient
import SluiceCore
import SluiceProtocol
import Synchronization

/// Sends produce requests of `batch` messages straight on a connection, `window` of them in flight, each sent as
/// soon as one is answered: no client batching in between, so latency is the request's round trip, commit included.
/// Requests go to the partitions in turn.
final class BenchWindowProducer: BenchProducer {
    private let connection: SluiceConnection
    private let topic: String
    private let partitions: Int32
    private let window: Int
    private let batch: Int
    private let acks: ProduceRequest.Acks
    private let payload: BenchPayload
    private let state: BenchState
    private let latency: BenchLatency
    private let progress: Mutex<Progress>
    /// With `--rate`: the requests that may still be sent before one is answered.
    private let slots: DispatchSemaphore

    private struct Progress {
        var inFlight = 0
        var nextPartition: Int32
        var finished: CheckedContinuation<Void, Never>?
    }

    init(
        connection: SluiceConnection, topic: String, partitions: Int32, firstPartition: Int32, window: Int,
        batch: Int, acks: ProduceRequest.Acks, payload: BenchPayload, state: BenchState, latency: BenchLatency
    ) {
        self.connection = connection
        self.topic = topic
        self.partitions = partitions
        self.window = window
        self.batch = batch
        self.acks = acks
        self.payload = payload
        self.state = state
        self.latency = latency
        self.progress = Mutex(Progress(nextPartition: firstPartition))
        self.slots = DispatchSemaphore(value: window)
    }

    /// Without `--rate`, each answer sends the next request from the connection's event loop: no thread in
    /// between. With it, a thread of its own sends each request when it is due and a slot of the window is free.
    func run() async {
        if state.rate != nil {
            await BenchThread.run { self.pacedLoop() }
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            progress.withLock { $0.finished = continuation }
            for _ in 0..<window { sendNext() }
            finishIfIdle()
        }
    }

    func close() async {
        await connection.close()
    }

    /// Claims the next request's messages and sends it.
    private func sendNext() {
        guard let claimed = state.claim(batch) else { return }
        send(claimed.count, to: takePartition(inFlight: 1))
    }

    /// Sends each request when `--rate` lets it go and the window has room; returns once every one is answered.
    private func pacedLoop() {
        while true {
            slots.wait()
            guard let claimed = state.claim(batch) else {
                slots.signal()
                break
            }
            state.pace(claimed.lowerBound)
            send(claimed.count, to: takePartition(inFlight: 0))
        }
        for _ in 0..<window { slots.wait() }
        // Back to its initial value: libdispatch refuses to free a semaphore below it.
        for _ in 0..<window { slots.signal() }
    }

    /// The partition of the next request; counts it as in flight.
    private func takePartition(inFlight: Int) -> Int32 {
        progress.withLock { progress -> Int32 in
            progress.inFlight += inFlight
            defer { progress.nextPartition = (progress.nextPartition + 1) % partitions }
            return progress.nextPartition
        }
    }

    private func send(_ count: Int, to partition: Int32) {
        let start = BenchClock.now()
        let value = payload.value(at: start)
        let records = [ProducerRecord](repeating: ProducerRecord(value: value), count: count)
        let request = ProduceRequest(
            acks: acks, timeoutMs: 30_000,
            topics: [
                ProduceRequest.Topic(
                    name: topic, partitions: [ProduceRequest.Partition(partition: partition, records: records)])
            ])
        connection.send(.produce(request)) { result in
            self.completed(result, count: count, start: start)
        }
    }

    private func completed(_ result: Result<Response, SluiceError>, count: Int, start: UInt64) {
        switch result {
        case .success(.produce(let response)):
            let error = response.topics.lazy.flatMap(\.partitions).compactMap(\.error).first
            if let error {
                state.fail(error)
            } else {
                latency.record(BenchClock.now() &- start, count: count)
                state.acknowledged.add(count, ordering: .relaxed)
            }
        case .success:
            state.fail(SluiceError(.unknown, "the server answered a produce request with a different response"))
        case .failure(let error):
            state.fail(error)
        }
        if state.rate != nil {
            slots.signal()
            return
        }
        // The next request counts as in flight before this one stops counting, so that `run()` never sees an idle
        // moment while messages are left.
        sendNext()
        progress.withLock { $0.inFlight -= 1 }
        finishIfIdle()
    }

    /// Resumes `run()` once nothing is in flight and nothing more will be sent.
    private func finishIfIdle() {
        let finished = progress.withLock { progress -> CheckedContinuation<Void, Never>? in
            guard progress.inFlight == 0 else { return nil }
            defer { progress.finished = nil }
            return progress.finished
        }
        finished?.resume()
    }
}
