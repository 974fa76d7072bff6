import SluiceBroker
import SluiceCore

/// `share-loop DATA_DIR TOPIC COUNT`: the share-group crash test's child process.
///
/// Through the broker: creates TOPIC (one partition) and produces COUNT records when it is missing, joins the share
/// group `crash` (starting at the earliest record), then fetches five records at a time, holding every third offset
/// unacknowledged and accepting the others, until it is killed. It prints `acquired <offset> <deliveryCount>` for
/// each record a fetch answered (its acquisition is committed) and `accepted <offset>` for each record once its
/// acknowledgement was answered (durable). When there is nothing left to acquire it waits to be killed.
/// `ShareCrashTests` reads these lines: change both together.
enum ShareLoop {
    static func run(_ arguments: [String]) async throws {
        guard arguments.count == 3, let count = Int(arguments[2]) else {
            throw UsageError("share-loop needs DATA_DIR, TOPIC and COUNT")
        }
        let topic = arguments[1]
        let broker = try Broker(dataDirectory: arguments[0])
        if try await !broker.topics().contains(where: { $0.name == topic }) {
            _ = try await broker.createTopic(topic, config: TopicConfig(partitions: 1))
            for start in stride(from: 0, to: count, by: 100) {
                let records = (start..<min(count, start + 100)).map { ProducerRecord(value: Array("r\($0)".utf8)) }
                let outcome = await broker.produce([ProduceBatch(topic: topic, partition: 0, records: records)])
                _ = try outcome[0].result.get()
            }
        }
        try await broker.alterGroupConfig(group: "crash", set: ["share.auto.offset.reset": "earliest"])
        let member = try await broker.shareGroupHeartbeat(group: "crash", memberID: "", topics: [topic]).memberID
        while true {
            let response = try await broker.shareFetch(
                ShareFetchRequest(
                    group: "crash", memberID: member, partitions: [TopicPartition(topic: topic, partition: 0)],
                    maxRecords: 5, maxWaitMs: 1_000))
            guard let partition = response.partitions.first, !partition.records.isEmpty else { continue }
            for record in partition.records {
                Output.line("acquired \(record.offset) \(partition.deliveryCount(of: record.offset) ?? 0)")
            }
            let accepted = partition.records.map(\.offset).filter { $0 % 3 != 0 }
            let acks = accepted.map {
                ShareAcknowledgement(topic: topic, partition: 0, firstOffset: $0, lastOffset: $0, type: .accept)
            }
            let results = try await broker.shareAcknowledge(group: "crash", memberID: member, acknowledgements: acks)
            if let error = results.first(where: { $0.error != nil })?.error { throw error }
            for offset in accepted { Output.line("accepted \(offset)") }
        }
    }
}
