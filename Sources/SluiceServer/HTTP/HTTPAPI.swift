import NIOCore
import NIOHTTP1
import SluiceBroker
import SluiceCore
import SluiceProtocol
import Synchronization

/// An answer to one HTTP request: a status, a content type and a body.
struct HTTPReply: Sendable {
    var status: HTTPResponseStatus
    var contentType: String
    var body: [UInt8]

    static func json(_ status: HTTPResponseStatus, _ body: [UInt8]) -> HTTPReply {
        HTTPReply(status: status, contentType: "application/json", body: body)
    }

    static func error(_ error: SluiceError) -> HTTPReply {
        json(HTTPJSON.status(of: error), HTTPJSON.error(error))
    }
}

/// The HTTP API's behaviour, apart from the connection: each route made into native requests and run through the
/// same `RequestDispatcher` as the Unix socket's, so that the access policy, the request limits and the value
/// ranges apply exactly as they do there, and the native responses rendered as JSON.
final class HTTPAPI: Sendable {
    let dispatcher: RequestDispatcher
    /// Spreads keyless records without a partition over the partitions, one request after another.
    private let nextPartition = Atomic<UInt32>(0)
    /// How long a streaming read's fetch waits for records before it writes a keep-alive comment.
    let streamWaitMs: Int32

    /// How often an open status stream sends the summary again.
    let statusInterval: Duration
    private let started = ContinuousClock.now

    /// Connections served now, by listener (`native`, `kafka`, `http`), for the status page.
    let connections: @Sendable () -> [String: Int]

    init(
        dispatcher: RequestDispatcher, streamWaitMs: Int32 = 15_000, statusInterval: Duration = .seconds(2),
        connections: @escaping @Sendable () -> [String: Int] = { [:] }
    ) {
        self.dispatcher = dispatcher
        self.connections = connections
        self.streamWaitMs = streamWaitMs
        self.statusInterval = statusInterval
    }

    var uptimeSeconds: Int64 { started.duration(to: .now).components.seconds }

    /// Runs a native request through the dispatcher, as `peer`.
    func run(_ request: Request, peer: PeerIdentity?) async -> Result<Response, SluiceError> {
        await withCheckedContinuation { continuation in
            dispatcher.handle(request, peer: peer) { continuation.resume(returning: $0) }
        }
    }

    /// The answer to every route but a stream's.
    func respond(to route: HTTPRoute, peer: PeerIdentity?) async -> HTTPReply {
        do throws(SluiceError) {
            switch route {
            case .native(let request, let status, let render):
                return .json(status, try render(try await run(request, peer: peer).get()))
            case .produce(let topic, let records):
                return .json(.ok, HTTPJSON.encode(try await produce(records, to: topic, peer: peer)))
            case .read(let read):
                let (out, _) = try await self.read(read, peer: peer)
                return .json(.ok, HTTPJSON.encode(out))
            case .redrive(let redrive):
                return .json(.ok, HTTPJSON.encode(try await self.redrive(redrive, peer: peer)))
            case .acquire(let acquire):
                return .json(.ok, try await self.acquire(acquire, peer: peer))
            case .acknowledge(let request):
                return try await acknowledge(request, peer: peer)
            case .health:
                return .json(.ok, HTTPJSON.encode(["status": "ok"]))
            case .status:
                return .json(.ok, HTTPJSON.encode(await HTTPStatusSummary.make(api: self, peer: peer)))
            case .statusPage(let browse, let hex):
                return HTTPReply(
                    status: .ok, contentType: "text/html; charset=utf-8",
                    body: Array(await HTTPStatusPage.render(api: self, peer: peer, browse: browse, hex: hex).utf8))
            case .stream, .statusStream:
                throw SluiceError(.unsupportedRequest, "a stream is answered by the connection")
            }
        } catch {
            return .error(error)
        }
    }

    // MARK: - Produce

    /// Answers the routes made of one native request without a task: the dispatcher's completion renders the
    /// answer and hands it to `reply`, so such a request costs the thread hops a request on the native socket costs
    /// (no hop through Swift's concurrency pool). False, having done nothing, for every other route.
    func respondAtOnce(
        to route: HTTPRoute, peer: PeerIdentity?, reply: @escaping @Sendable (HTTPReply) -> Void
    ) -> Bool {
        switch route {
        case .native(let request, let status, let render):
            dispatcher.handle(request, peer: peer) { result in
                do throws(SluiceError) {
                    reply(.json(status, try render(try result.get())))
                } catch {
                    reply(.error(error))
                }
            }
            return true
        case .produce(let topic, let records):
            do throws(SluiceError) {
                let (request, placed) = try produceRequest(records, to: topic)
                dispatcher.handle(.produce(request), peer: peer) { result in
                    do throws(SluiceError) {
                        let produced = try Self.produced(result.get(), topic: topic, placed: placed)
                        reply(.json(.ok, HTTPJSON.encode(produced)))
                    } catch {
                        reply(.error(error))
                    }
                }
            } catch {
                reply(.error(error))
            }
            return true
        default:
            return false
        }
    }

    /// Produces `records` to `topic`: each to its `partition`, else by its key's murmur2 hash (as the CLI and Kafka
    /// clients do), else to the next partition in turn; answers each record's offset, in the order given.
    func produce(_ records: [HTTPRecordIn], to topic: String, peer: PeerIdentity?) async throws(SluiceError)
        -> HTTPJSON.ProducedOut
    {
        let (request, placed) = try produceRequest(records, to: topic)
        return try Self.produced(try await run(.produce(request), peer: peer).get(), topic: topic, placed: placed)
    }

    /// The produce request for `records` and where each record went (its partition and index there).
    private func produceRequest(_ records: [HTTPRecordIn], to topic: String) throws(SluiceError)
        -> (ProduceRequest, [(partition: Int32, index: Int)])
    {
        let partitions = try dispatcher.broker.partitionCounts([topic]).first?.result.get() ?? 1
        let spread = Int32(nextPartition.wrappingAdd(1, ordering: .relaxed).oldValue % UInt32(max(partitions, 1)))
        var placed: [(partition: Int32, index: Int)] = []
        var batches: [Int32: [ProducerRecord]] = [:]
        var order: [Int32] = []
        for record in records {
            let partition =
                record.partition
                ?? record.key.map { KafkaPartitioner.partition(forKey: $0, partitions: partitions) } ?? spread
            if batches[partition] == nil { order.append(partition) }
            placed.append((partition, batches[partition, default: []].count))
            batches[partition, default: []].append(
                ProducerRecord(
                    key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp))
        }
        let request = ProduceRequest(
            timeoutMs: 30_000,
            topics: [
                TopicPartitions(
                    name: topic,
                    partitions: order.map { ProduceRequest.Partition(partition: $0, records: batches[$0]!) })
            ])
        return (request, placed)
    }

    private static func produced(_ response: Response, topic: String, placed: [(partition: Int32, index: Int)])
        throws(SluiceError) -> HTTPJSON.ProducedOut
    {
        guard case .produce(let response) = response else {
            throw SluiceError(.unknown, "the server answered a produce with another answer")
        }
        var bases: [Int32: Int64] = [:]
        for partition in response.topics.flatMap(\.partitions) {
            if let error = partition.error { throw error }
            bases[partition.partition] = partition.baseOffset
        }
        return HTTPJSON.ProducedOut(
            topic: topic,
            offsets: placed.map {
                .init(partition: $0.partition, offset: (bases[$0.partition] ?? -1) + Int64($0.index))
            })
    }

    // MARK: - Reading

    /// Reads up to `read.limit` records from where `read` starts, waiting up to `read.waitMs` for the first; returns
    /// them and the records' count before the cut (0 when the partition had none past the start).
    func read(_ read: HTTPRead, peer: PeerIdentity?, from resolved: Int64? = nil, waitMs: Int32? = nil)
        async throws(SluiceError) -> (HTTPJSON.ReadOut, Int)
    {
        let offset: Int64
        if let resolved { offset = resolved } else { offset = try await start(of: read, peer: peer) }
        let fetch = FetchRequest(
            maxWaitMs: waitMs ?? read.waitMs, minBytes: 1, maxBytes: read.maxBytes,
            topics: [
                TopicPartitions(
                    name: read.topic,
                    partitions: [.init(partition: read.partition, offset: offset, partitionMaxBytes: read.maxBytes)])
            ])
        guard case .fetch(let response) = try await run(.fetch(fetch), peer: peer).get(),
            let partition = response.topics.first?.partitions.first
        else { throw SluiceError(.unknown, "the server answered a fetch with another answer") }
        if let error = partition.error { throw error }
        let records = try partition.encodedRecords?.decoded() ?? partition.records
        let kept = records.prefix(read.limit)
        return (
            HTTPJSON.ReadOut(
                topic: read.topic, partition: read.partition,
                records: kept.map { HTTPJSON.RecordOut($0, base64: read.base64) },
                nextOffset: kept.last.map { $0.offset + 1 } ?? offset,
                highWatermark: partition.highWatermark, logStartOffset: partition.logStartOffset),
            records.count
        )
    }

    /// The offset a read starts at: the one it names, or the partition's log start or end.
    func start(of read: HTTPRead, peer: PeerIdentity?) async throws(SluiceError) -> Int64 {
        let spec: OffsetSpec
        switch read.start {
        case .offset(let offset): return offset
        case .earliest: spec = .earliest
        case .latest: spec = .latest
        }
        let list = ListOffsetsRequest(
            topics: [TopicPartitions(name: read.topic, partitions: [.init(partition: read.partition, spec: spec)])])
        guard case .listOffsets(let response) = try await run(.listOffsets(list), peer: peer).get(),
            let partition = response.topics.first?.partitions.first
        else { throw SluiceError(.unknown, "the server answered list_offsets with another answer") }
        if let error = partition.error { throw error }
        return partition.offset
    }
}
