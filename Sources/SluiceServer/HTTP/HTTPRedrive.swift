import SluiceCore
import SluiceProtocol

/// `POST /v1/topics/T/redrive`: chosen records of a dead-letter topic sent back to the topic and partition their
/// `sluice.dlq.topic` and `sluice.dlq.partition` headers name, with their key, value, timestamp and own headers
/// (the `sluice.dlq.*` ones left out), so that share groups deliver them again as new records. Needs `admin` on
/// the dead-letter topic besides what the reads and produces need (`consume` on it, `produce` on the targets).
/// The dead letters stay where they are (retention removes them).
struct HTTPRedrive: Sendable {
    var topic: String
    var partition: Int32
    /// Distinct, ascending.
    var offsets: [Int64]

    static let maxOffsets = 1_000
    static let headerPrefix = "sluice.dlq."

    init(topic: String, request: HTTPAPIRequest) throws(SluiceError) {
        struct Body: Decodable {
            var partition: Int32?
            var offsets: [Int64]
        }
        let body = try request.json(Body.self)
        self.topic = topic
        partition = body.partition ?? 0
        offsets = Array(Set(body.offsets)).sorted()
        guard !offsets.isEmpty else { throw SluiceError(.invalidArgument, "name the offsets to redrive") }
        guard offsets.count <= Self.maxOffsets else {
            throw SluiceError(.invalidArgument, "at most \(Self.maxOffsets) offsets in one redrive")
        }
        guard partition >= 0, offsets.allSatisfy({ $0 >= 0 }) else {
            throw SluiceError(.invalidArgument, "partitions and offsets are numbers from 0")
        }
    }
}

extension HTTPJSON {
    struct RedrivenOut: Encodable {
        struct Sent: Encodable {
            var offset: Int64
            var topic: String
            var partition: Int32
            var newOffset: Int64
        }
        struct Skipped: Encodable {
            var offset: Int64
            var reason: String
        }
        var redriven: [Sent]
        var skipped: [Skipped]
    }
}

extension HTTPAPI {
    func redrive(_ redrive: HTTPRedrive, peer: PeerIdentity?) async throws(SluiceError) -> HTTPJSON.RedrivenOut {
        if let refused = dispatcher.check([.topic(.admin, redrive.topic)], api: "redrive", peer: peer) {
            throw refused
        }
        let found = try await records(of: redrive, peer: peer)
        var out = HTTPJSON.RedrivenOut(redriven: [], skipped: [])
        // Each target partition's records, in the dead-letter topic's order.
        var targets: [(topic: String, partition: Int32, records: [(offset: Int64, record: ProducerRecord)])] = []
        for offset in redrive.offsets {
            guard let record = found[offset] else {
                out.skipped.append(.init(offset: offset, reason: "no record at this offset"))
                continue
            }
            func header(_ name: String) -> String? {
                record.headers.first { $0.name == HTTPRedrive.headerPrefix + name }?.value.map {
                    String(decoding: $0, as: UTF8.self)
                }
            }
            guard let topic = header("topic"), let partition = header("partition").flatMap({ Int32($0) }) else {
                out.skipped.append(
                    .init(offset: offset, reason: "not a dead letter: no sluice.dlq.topic and sluice.dlq.partition"))
                continue
            }
            let copy = ProducerRecord(
                key: record.key, value: record.value,
                headers: record.headers.filter { !$0.name.hasPrefix(HTTPRedrive.headerPrefix) },
                timestamp: record.timestamp)
            if let index = targets.firstIndex(where: { $0.topic == topic && $0.partition == partition }) {
                targets[index].records.append((offset, copy))
            } else {
                targets.append((topic, partition, [(offset, copy)]))
            }
        }
        for target in targets {
            let request = ProduceRequest(
                timeoutMs: 30_000,
                topics: [
                    TopicPartitions(
                        name: target.topic,
                        partitions: [.init(partition: target.partition, records: target.records.map(\.record))])
                ])
            let answer = await run(.produce(request), peer: peer)
            let partition: ProduceResponse.Partition?
            switch answer {
            case .success(.produce(let response)): partition = response.topics.first?.partitions.first
            case .success: partition = nil
            case .failure(let error):
                if target.records.count == targets.flatMap(\.records).count { throw error }
                out.skipped += target.records.map { .init(offset: $0.offset, reason: error.message) }
                continue
            }
            guard let partition, partition.error == nil else {
                let reason = partition?.error?.message ?? "the server answered a produce with another answer"
                out.skipped += target.records.map { .init(offset: $0.offset, reason: reason) }
                continue
            }
            for (index, sent) in target.records.enumerated() {
                out.redriven.append(
                    .init(
                        offset: sent.offset, topic: target.topic, partition: target.partition,
                        newOffset: partition.baseOffset + Int64(index)))
            }
        }
        out.redriven.sort { $0.offset < $1.offset }
        out.skipped.sort { $0.offset < $1.offset }
        return out
    }

    /// The records at `redrive`'s offsets that exist, read in as few fetches as their spread allows.
    private func records(of redrive: HTTPRedrive, peer: PeerIdentity?) async throws(SluiceError) -> [Int64: Record] {
        var found: [Int64: Record] = [:]
        var remaining = redrive.offsets[...]
        while let next = remaining.first {
            let fetch = FetchRequest(
                maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20,
                topics: [
                    TopicPartitions(
                        name: redrive.topic,
                        partitions: [.init(partition: redrive.partition, offset: next, partitionMaxBytes: 1 << 20)])
                ])
            guard case .fetch(let response) = try await run(.fetch(fetch), peer: peer).get(),
                let partition = response.topics.first?.partitions.first
            else { throw SluiceError(.unknown, "the server answered a fetch with another answer") }
            if let error = partition.error {
                guard error.code == .offsetOutOfRange else { throw error }
                // At or past the end: no more records. Below the log start: none there; go on from the log start.
                guard next < partition.highWatermark, next < partition.logStartOffset else { break }
                remaining = remaining.drop { $0 < partition.logStartOffset }
                continue
            }
            let records = try partition.encodedRecords?.decoded() ?? partition.records
            guard let last = records.last else { break }
            let wanted = Set(remaining.prefix { $0 <= last.offset })
            for record in records where wanted.contains(record.offset) { found[record.offset] = record }
            remaining = remaining.drop { $0 <= last.offset }
        }
        return found
    }
}
