import Dispatch
import SluiceClient
import SluiceCore
import Synchronization

/// Sends through the client's `Producer`: its batching, linger, partitioner and retries. Latency runs from `send`
/// to the record's acknowledgement, so it includes the time a record waits in the producer's buffer (bounded by
/// `maxBufferedRecords`, which `connectBenchProducers` keeps to a few batches per partition).
///
/// The sending loop runs on a thread of its own, so that `--rate` can pace it with precise sleeps.
struct BenchBatchingProducer: BenchProducer {
    let producer: Producer
    let topic: String
    let payload: BenchPayload
    let state: BenchState
    let latency: BenchLatency

    func run() async {
        await BenchThread.run { sendLoop() }
        await producer.flush()
    }

    private func sendLoop() {
        let limit = producer.configuration.maxBufferedRecords
        let (state, latency) = (self.state, self.latency)
        var sent = 0
        while let claimed = state.claim() {
            state.pace(claimed.lowerBound)
            let start = BenchClock.now()
            producer.send(ProducerRecord(value: payload.value(at: start)), topic: topic) { result in
                switch result {
                case .success:
                    latency.record(BenchClock.now() &- start)
                    state.acknowledged.add(1, ordering: .relaxed)
                case .failure(let error):
                    state.fail(error)
                }
            }
            sent += 1
            if sent & 63 == 0, producer.bufferedRecords >= limit { waitForCapacity() }
        }
    }

    /// Blocks the sending thread until the producer has room.
    private func waitForCapacity() {
        let room = DispatchSemaphore(value: 0)
        let producer = self.producer
        Task {
            await producer.waitForCapacity()
            room.signal()
        }
        room.wait()
    }

    func close() async {
        await producer.close()
    }
}
