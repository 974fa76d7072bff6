import Dispatch
import SluiceClient
import SluiceCommandLine
import SluiceCore
import SluiceProtocol
import Synchronization

/// A bench producer, connected before the clock starts; `run()` sends until the budget is spent or the run stops,
/// and returns once every message it sent is acknowledged or failed.
protocol BenchProducer: Sendable {
    func run() async
    func close() async
}

/// How a run's producers send: how many, batching or windowed, acks.
struct BenchProducerPlan: Sendable {
    var producers: Int
    var batch: Int
    var lingerMs: Int
    var acks: ProduceRequest.Acks
    /// Requests in flight per producer when sending directly; `nil` for the batching `Producer`.
    var window: Int?
}

extension BenchProducerOptions {
    var plan: BenchProducerPlan {
        BenchProducerPlan(
            producers: producers, batch: batchSize, lingerMs: lingerMs ?? 0,
            acks: acks == .none ? .noResponse : .afterCommit, window: window)
    }
}

/// Connects the producers `plan` asks for, each with its own latency recorder.
func connectBenchProducers(
    _ plan: BenchProducerPlan, socketPath: String, topic: String, partitions: Int32, payload: BenchPayload,
    state: BenchState
) async throws(SluiceError) -> [(producer: any BenchProducer, latency: BenchLatency)] {
    var producers: [(producer: any BenchProducer, latency: BenchLatency)] = []
    for index in 0..<plan.producers {
        let latency = BenchLatency()
        if let window = plan.window {
            let connection = try await SluiceConnection.connect(socketPath: socketPath)
            producers.append(
                (
                    BenchWindowProducer(
                        connection: connection, topic: topic, partitions: partitions,
                        firstPartition: Int32(index) % partitions,
                        window: window, batch: plan.batch, acks: plan.acks, payload: payload, state: state,
                        latency: latency
                    ), latency
                ))
        } else {
            var configuration = ProducerConfiguration()
            configuration.batchSize = plan.batch
            configuration.lingerMs = plan.lingerMs
            configuration.acks = plan.acks == .noResponse ? .none : .afterCommit
            // Room for a few batches per partition: enough to keep one in flight and the next full, few enough
            // that latency is not mostly the wait in a deep buffer.
            configuration.maxBufferedRecords = min(100_000, max(1000, 4 * plan.batch * Int(partitions)))
            // Room for `batch` messages, within the server's frame limit.
            configuration.maxBatchBytes = min(
                max(configuration.maxBatchBytes, plan.batch * (payload.bytes.count + 40)), 15 << 20)
            let producer = try await Producer.connect(socketPath: socketPath, configuration: configuration)
            producers.append(
                (
                    BenchBatchingProducer(
                        producer: producer, topic: topic, payload: payload, state: state, latency: latency), latency
                ))
        }
    }
    return producers
}
