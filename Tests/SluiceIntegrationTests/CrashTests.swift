import Foundation
import NIOCore
import SluiceCore
import SluiceProtocol
import Synchronization
import Testing

/// SIGKILL under load: every produce the server acknowledged is there after a restart, once, in order.
@Suite(.serialized) struct CrashTests {
    struct Ack: Sendable {
        var partition: Int32
        var baseOffset: Int64
        var values: [String]
    }

    /// Produces batches on one partition, one request at a time, until the connection dies; returns what was acked.
    static func produceUntilKilled(socket: String, topic: String, partition: Int32) -> [Ack] {
        guard let connection = try? RawConnection(path: socket) else { return [] }
        var acks: [Ack] = []
        var sequence = 0
        while true {
            let values = (0..<(1 + sequence % 7)).map { "p\(partition)-m\(sequence)-\($0)" }
            sequence += 1
            connection.send(
                .produce(
                    ProduceRequest(
                        timeoutMs: 5000,
                        topics: [
                            .init(
                                name: topic,
                                partitions: [
                                    .init(
                                        partition: partition,
                                        records: values.map {
                                            ProducerRecord(key: Array("k".utf8), value: Array($0.utf8))
                                        })
                                ])
                        ])), correlationID: Int32(sequence))
            guard let frame = connection.readResponse(),
                case .produce(let response)? = try? frame.response(to: .produce),
                let result = response.topics.first?.partitions.first, result.error == nil
            else { return acks }
            acks.append(Ack(partition: partition, baseOffset: result.baseOffset, values: values))
        }
    }

    func readAll(_ connection: RawConnection, topic: String, partition: Int32) throws -> [Record] {
        var records: [Record] = []
        var offset: Int64 = 0
        while true {
            connection.send(
                .fetch(
                    FetchRequest(
                        maxWaitMs: 0, minBytes: 1, maxBytes: 4 << 20,
                        topics: [
                            .init(
                                name: topic,
                                partitions: [.init(partition: partition, offset: offset, partitionMaxBytes: 4 << 20)])
                        ])), correlationID: 9)
            guard case .fetch(let fetch) = try #require(connection.readResponse()).response(to: .fetch) else {
                throw SluiceError(.unknown, "bad response")
            }
            let part = fetch.topics[0].partitions[0]
            if let error = part.error { throw error }
            if part.records.isEmpty { return records }
            records += part.records
            offset = part.records.last!.offset + 1
        }
    }

    @Test(arguments: ["full", "normal"])
    func acknowledgedProducesSurviveSIGKILL(durability: String) async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let admin = try RawConnection(path: server.socketPath)
        admin.send(
            .createTopic(
                CreateTopicRequest(
                    name: "crash", partitions: 4,
                    configs: [ConfigEntry(key: "durability", value: durability)])),
            correlationID: 1)
        #expect(admin.readResponse()?.error == nil)

        let collected = Mutex<[Ack]>([])
        let group = DispatchGroup()
        for partition in Int32(0)..<4 {
            DispatchQueue.global().async(group: group) {
                let acks = Self.produceUntilKilled(socket: server.socketPath, topic: "crash", partition: partition)
                collected.withLock { $0 += acks }
            }
        }
        try await Task.sleep(for: .milliseconds(1500))
        server.kill()
        group.wait()
        let acks = collected.withLock { $0 }
        #expect(acks.count > 20, "the producers got too few acks before the kill: \(acks.count)")

        let restarted = try ServerProcess(reusing: server.dataDirectory).start()
        defer { restarted.stop() }
        let reader = try RawConnection(path: restarted.socketPath)
        for partition in Int32(0)..<4 {
            let stored = try readAll(reader, topic: "crash", partition: partition)
            // Offsets contiguous from 0: no gap, no duplicate.
            #expect(stored.map(\.offset) == Array(0..<Int64(stored.count)))
            let values = stored.map { String(decoding: $0.value ?? [], as: UTF8.self) }
            #expect(Set(values).count == values.count, "a value is stored twice in partition \(partition)")
            for ack in acks where ack.partition == partition {
                for (index, value) in ack.values.enumerated() {
                    let offset = Int(ack.baseOffset) + index
                    #expect(
                        offset < values.count && values[offset] == value,
                        "acknowledged \(value) at \(partition)/\(offset) is missing or different")
                }
            }
        }
    }
}
