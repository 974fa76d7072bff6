import Foundation
import SluiceClient
import SluiceCore
import Testing

/// The per-group series (consumer lag and its age, share-group record counts) through `sluice stats` and the
/// metrics HTTP listener.
@Suite(.serialized) struct GroupMetricsTests {
    /// A server with the metrics listener on a free loopback port; returns it and the port.
    static func serverWithMetricsListener() throws -> (ServerProcess, Int) {
        let server = try ServerProcess()
        let port = MirrorTests.freePort()
        let config = try ServiceTests.writeConfig(server, #"{"metrics_listen": "127.0.0.1:\#(port)"}"#)
        try server.start(extraArguments: ["--config", config])
        return (server, port)
    }

    /// `GET /metrics` through curl.
    static func scrape(_ port: Int) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-sS", "--max-time", "30", "http://127.0.0.1:\(port)/metrics"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// The value of the series named exactly `series` (labels included) in Prometheus text.
    static func value(_ series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test func lagAndAgeOfTheOldestUnconsumedRecord() async throws {
        let (server, port) = try Self.serverWithMetricsListener()
        defer { server.cleanUp() }
        let socket = ["--socket", server.socketPath]
        #expect(try ServiceTests.sluice(["topics", "create", "lagged"] + socket).0 == 0)
        #expect(try ServiceTests.sluice(["produce", "lagged"] + socket, input: "a\nb\nc\nd\ne\n").0 == 0)
        let produced = Date()
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.commitOffsets(group: "behind", [CommittedOffset(topic: "lagged", partition: 0, offset: 2)])
        try await client.commitOffsets(group: "caught-up", [CommittedOffset(topic: "lagged", partition: 0, offset: 5)])
        try await Task.sleep(for: .seconds(1.5))

        let behind = #"{group="behind",topic="lagged",partition="0"}"#
        let caughtUp = #"{group="caught-up",topic="lagged",partition="0"}"#
        let (status, text) = try ServiceTests.sluice(["stats"] + socket)
        let elapsed = Date().timeIntervalSince(produced)
        #expect(status == 0)
        #expect(Self.value("sluice_group_lag" + behind, in: text) == 3, "\(text)")
        #expect(Self.value("sluice_group_lag" + caughtUp, in: text) == 0)
        let age = try #require(Self.value("sluice_group_oldest_unconsumed_age_seconds" + behind, in: text))
        // The record was stored before `produced`; the clock's milliseconds may round a little below.
        #expect(age >= elapsed - 0.1 && age < elapsed + 60, "age \(age), produced \(elapsed) s ago")
        #expect(Self.value("sluice_group_oldest_unconsumed_age_seconds" + caughtUp, in: text) == 0)
        #expect(text.contains("# TYPE sluice_group_lag gauge"))

        let (jsonStatus, json) = try ServiceTests.sluice(["stats", "--json"] + socket)
        #expect(jsonStatus == 0)
        #expect(json.contains(#""sluice_group_lag{group=\"behind\",topic=\"lagged\",partition=\"0\"}":3"#), "\(json)")
        #expect(json.contains(#""sluice_produce_records_total{topic=\"lagged\"}":5"#), "\(json)")

        let scraped = try Self.scrape(port)
        #expect(Self.value("sluice_group_lag" + behind, in: scraped) == 3, "\(scraped)")
        #expect(
            Self.value("sluice_group_oldest_unconsumed_age_seconds" + behind, in: scraped).map { $0 >= age } == true)
        #expect(scraped.contains(#"sluice_produce_records_total{topic="lagged"} 5"#))

        // Below the log start: the log start's record is the oldest unconsumed.
        try await client.commitOffsets(group: "behind", [CommittedOffset(topic: "lagged", partition: 0, offset: 0)])
        let (_, again) = try ServiceTests.sluice(["stats"] + socket)
        #expect(Self.value("sluice_group_lag" + behind, in: again) == 5)

        try await client.deleteGroup("behind")
        let (_, afterDelete) = try ServiceTests.sluice(["stats"] + socket)
        #expect(!afterDelete.contains(#"group="behind""#), "\(afterDelete)")
        #expect(Self.value("sluice_group_lag" + caughtUp, in: afterDelete) == 0)
        #expect(!(try Self.scrape(port)).contains(#"group="behind""#))
        await client.close()
        #expect(server.stop() == 0)
    }

    @Test func shareGroupRecordsByState() async throws {
        let (server, port) = try Self.serverWithMetricsListener()
        defer { server.cleanUp() }
        let socket = ["--socket", server.socketPath]
        #expect(try ServiceTests.sluice(["topics", "create", "jobs"] + socket).0 == 0)
        #expect(try ServiceTests.sluice(["produce", "jobs"] + socket, input: "0\n1\n2\n3\n4\n5\n").0 == 0)
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.alterGroupConfig("workers", [ConfigEntry(key: "share.auto.offset.reset", value: "earliest")])
        let consumer = try await ShareConsumer.connect(
            socketPath: server.socketPath, group: "workers", topics: ["jobs"])
        var records: [ShareRecord] = []
        for _ in 0..<60 where records.count < 6 { records += try await consumer.poll(maxWaitMs: 500) }
        #expect(records.map(\.offset) == [0, 1, 2, 3, 4, 5])
        // 0 and 1 accepted, 2 released for an hour (delayed), 3 rejected (archived), 4 released at once
        // (available), 5 still held (acquired).
        for record in records {
            switch record.offset {
            case 0, 1: await consumer.acknowledge(record, .accept)
            case 2: await consumer.acknowledge(record, .release(delayMs: 3_600_000))
            case 3: await consumer.acknowledge(record, .reject)
            case 4: await consumer.acknowledge(record, .release())
            default: break
            }
        }
        #expect(try await consumer.commit().isEmpty)

        let labels = #"group="workers",topic="jobs",partition="0""#
        for text in [try ServiceTests.sluice(["stats"] + socket).1, try Self.scrape(port)] {
            #expect(Self.value("sluice_share_group_records{\(labels),state=\"acquired\"}", in: text) == 1, "\(text)")
            #expect(Self.value("sluice_share_group_records{\(labels),state=\"available\"}", in: text) == 1)
            #expect(Self.value("sluice_share_group_records{\(labels),state=\"delayed\"}", in: text) == 1)
            #expect(Self.value("sluice_share_group_archived_total{\(labels)}", in: text) == 1)
            #expect(Self.value("sluice_share_group_dead_lettered_total{\(labels)}", in: text) == 0)
            #expect(text.contains("# TYPE sluice_share_group_archived_total counter"))
        }
        let (_, json) = try ServiceTests.sluice(["stats", "--json"] + socket)
        #expect(
            json.contains(#""sluice_share_group_archived_total{group=\"workers\",topic=\"jobs\",partition=\"0\"}":1"#))

        await consumer.close()
        // The member's leave may still be on its way.
        let deleted = await NativeShareGroupTests.eventually(30) { (try? await client.deleteGroup("workers")) != nil }
        #expect(deleted)
        let (_, afterDelete) = try ServiceTests.sluice(["stats"] + socket)
        #expect(!afterDelete.contains(#"group="workers""#), "\(afterDelete)")
        await client.close()
        #expect(server.stop() == 0)
    }
}
