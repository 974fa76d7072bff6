import Foundation
import SluiceClient
import SluiceCore
import SluiceProtocol
import Testing

/// Many topics under a low descriptor limit, and deleting and creating one name at once, through the real server.
@Suite(.serialized) struct ManyTopicsTests {
    /// The server's soft and hard limit on open files: the server cannot raise it, and 300 topics held open at once
    /// would need about 900 descriptors.
    static let descriptorLimit = 256
    static let topicCount = 300

    static func name(_ index: Int) -> String { "many-\(index)" }

    /// 300 topics served under 256 descriptors: each produced to and read back, the server restarted under the
    /// same limit, every record still there and every topic taking writes again; the descriptors open stay under
    /// the limit throughout.
    @Test func moreTopicsThanTheDescriptorLimitCouldHoldOpen() throws {
        let server = try ServerProcess().start(descriptorLimit: Self.descriptorLimit)
        defer { server.cleanUp() }
        let connection = try RawConnection(path: server.socketPath, timeoutSeconds: 60)
        let normal = [ConfigEntry(key: "durability", value: "normal")]
        for index in 0..<Self.topicCount { try connection.createTopic(Self.name(index), configs: normal) }
        for index in 0..<Self.topicCount {
            let produced = try connection.produce(Self.name(index), strings: ["first-\(index)"])
            #expect(produced.error == nil && produced.baseOffset == 0, "\(Self.name(index)): \(produced)")
        }
        for index in 0..<Self.topicCount {
            #expect(try connection.readAllStrings(Self.name(index)) == ["first-\(index)"], "\(Self.name(index))")
        }
        let openBefore = server.openDescriptors()
        #expect(openBefore > 0 && openBefore < Self.descriptorLimit, "descriptors open: \(openBefore)")
        #expect(try connection.metadata().topics.filter { $0.error == nil }.count == Self.topicCount)
        #expect(server.stop() == 0, "\(server.log.suffix(2000))")

        let restarted = try ServerProcess(reusing: server.dataDirectory).start(descriptorLimit: Self.descriptorLimit)
        defer { restarted.stop() }
        let again = try RawConnection(path: restarted.socketPath, timeoutSeconds: 60)
        for index in 0..<Self.topicCount {
            let produced = try again.produce(Self.name(index), strings: ["second-\(index)"])
            #expect(produced.error == nil && produced.baseOffset == 1, "\(Self.name(index)): \(produced)")
        }
        for index in 0..<Self.topicCount {
            #expect(
                try again.readAllStrings(Self.name(index)) == ["first-\(index)", "second-\(index)"],
                "\(Self.name(index))")
        }
        let openAfter = restarted.openDescriptors()
        #expect(openAfter > 0 && openAfter < Self.descriptorLimit, "descriptors open: \(openAfter)")
        #expect(!restarted.log.contains("Too many open files"), "\(restarted.log.suffix(2000))")
    }

    /// A fetch waiting on a topic that is closed meanwhile (other topics' use pushes it out of the open set) is
    /// answered by the produce that opens it again, with the record.
    @Test func aWaitingFetchOutlivesItsTopicClosing() throws {
        let config = try Self.config(maxOpenTopics: 2)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let server = try ServerProcess().start(extraArguments: ["--config", config])
        defer { server.cleanUp() }
        let admin = try RawConnection(path: server.socketPath, timeoutSeconds: 60)
        for index in 0..<10 { try admin.createTopic(Self.name(index)) }
        let waiting = try RawConnection(path: server.socketPath, timeoutSeconds: 90)
        let fetch = Request.fetch(
            FetchRequest(
                maxWaitMs: 60_000, minBytes: 1, maxBytes: 1 << 20,
                topics: [
                    .init(name: Self.name(0), partitions: [.init(partition: 0, offset: 0, partitionMaxBytes: 1 << 20)])
                ]))
        waiting.send(fetch, correlationID: 7)
        // Let the fetch register, then use every other topic: with two allowed open, the waited-on one closes.
        Thread.sleep(forTimeInterval: 0.5)
        for index in 1..<10 { #expect(try admin.produce(Self.name(index), strings: ["x"]).error == nil) }
        for index in 1..<10 { #expect(try admin.readAllStrings(Self.name(index)) == ["x"]) }
        let started = Date()
        #expect(try admin.produce(Self.name(0), strings: ["wake"]).error == nil)
        guard let frame = waiting.readResponse(), case .fetch(let answer) = try frame.response(to: .fetch) else {
            Issue.record("no answer to the waiting fetch")
            return
        }
        #expect(frame.correlationID == 7)
        let records = answer.topics.first?.partitions.first?.records ?? []
        #expect(records.map { String(decoding: $0.value ?? [], as: UTF8.self) } == ["wake"])
        // Woken by the produce, not by its 60 s deadline.
        #expect(Date().timeIntervalSince(started) < 30)
    }

    /// The error `body` threw, as a `SluiceError`; nil when it succeeded.
    static func failure(_ body: () async throws -> Void) async -> SluiceError? {
        do {
            try await body()
            return nil
        } catch {
            return error as? SluiceError ?? SluiceError(.unknown, "\(error)")
        }
    }

    /// A configuration file setting `max_open_topics`, in a temporary folder.
    static func config(maxOpenTopics: Int) throws -> String {
        let path = "\(FileManager.default.temporaryDirectory.path)/sluice-open-\(UUID().uuidString.prefix(8)).json"
        try Data("{\"max_open_topics\": \(maxOpenTopics)}".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    // MARK: - Deleting and creating one name at once

    /// Two deletes of a topic and a create of the same name, sent at once from three connections, many times over;
    /// then a record produced to every name that is served. Every acknowledged record must be readable, before and
    /// after a restart, and served names must be the ones the catalog keeps: a deletion that removed a newer
    /// topic's files, or left a deleted topic's handle serving, would acknowledge records into files that are gone.
    @Test func concurrentDeletesAndACreateLoseNoAcknowledgedRecord() async throws {
        let server = try ServerProcess().start()
        defer { server.cleanUp() }
        let path = server.socketPath
        let clients = [
            try await SluiceClient.connect(socketPath: path), try await SluiceClient.connect(socketPath: path),
            try await SluiceClient.connect(socketPath: path),
        ]
        let rounds = 120
        var acknowledged: [String: String] = [:]
        let normal = [ConfigEntry(key: "durability", value: "normal")]
        for round in 0..<rounds {
            let topic = "race-\(round % 6)"
            // The name exists at the start of each round (a previous round may have left it deleted).
            do { try await clients[0].createTopic(topic, config: normal) } catch {
                #expect(error.code == .topicAlreadyExists)
            }
            async let first = Self.failure { try await clients[0].deleteTopic(topic) }
            async let second = Self.failure { try await clients[1].deleteTopic(topic) }
            async let created = Self.failure { try await clients[2].createTopic(topic, config: normal) }
            // A delete may find the name gone (the other took it) but never fails otherwise; both succeed when the
            // second deleted the topic the create made in between.
            for error in [await first, await second].compactMap({ $0 }) {
                #expect(error.code == .unknownTopic, "\(error)")
            }
            if let error = await created {
                #expect([.topicAlreadyExists, .topicBeingDeleted].contains(error.code), "\(error)")
            }
            let value = "round-\(round)"
            let raw = try RawConnection(path: path)
            let produced = try raw.produce(topic, strings: [value])
            if produced.error == nil {
                acknowledged[topic] = value
                #expect(try raw.readAllStrings(topic).last == value, "\(topic) in round \(round)")
            } else {
                #expect(produced.error?.code == .unknownTopic, "\(String(describing: produced.error))")
                acknowledged[topic] = nil
            }
        }
        let served = Set(try await clients[0].metadata(nil).filter { $0.error == nil }.map(\.name))
        #expect(served == Set(acknowledged.keys))
        for client in clients { await client.close() }
        #expect(server.stop() == 0)

        let restarted = try ServerProcess(reusing: server.dataDirectory).start()
        defer { restarted.stop() }
        let connection = try RawConnection(path: restarted.socketPath)
        let listed = Set(try connection.metadata().topics.filter { $0.error == nil }.map(\.name))
        #expect(listed == Set(acknowledged.keys), "topics after the restart")
        for (topic, value) in acknowledged {
            #expect(try connection.readAllStrings(topic).last == value, "\(topic) after the restart")
        }
    }
}
