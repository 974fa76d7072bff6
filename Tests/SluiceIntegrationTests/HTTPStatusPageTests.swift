import Foundation
import Testing

/// The status page and `/v1/status` with something to show: a topic with records produced and fetched, a consumer
/// group behind (lag per partition, the age of its oldest unconsumed record), a share group with a record in flight
/// and a dead letter, its dead-letter topic, and a redrive of that dead letter back to its topic.
@Suite struct HTTPStatusPageTests {
    typealias Answer = HTTPAPITests.Answer

    static func curl(_ server: ServerProcess, _ arguments: [String], timeout: TimeInterval = 60) async -> Answer {
        await HTTPAPITests.curl(server, arguments, timeout: timeout)
    }

    static func post(_ server: ServerProcess, _ path: String, _ body: String) async -> Answer {
        await curl(server, ["-X", "POST", "http://sluice" + path, "-d", body])
    }

    @Test(.enabled(if: HTTPAPITests.hasCurl, "needs curl"))
    func theSummaryAndThePageShowTopicsGroupsShareGroupsAndDeadLetters() async throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        try server.start()
        #expect(await Self.post(server, "/v1/topics", #"{"name": "jobs"}"#).status == 201)
        // Record 2 was made two minutes ago: it is the oldest the group below has not consumed.
        let old = Int64(Date().timeIntervalSince1970 * 1000) - 120_000
        let values = (0..<5).map { index in
            #"{"value": "j\#(index)""# + (index == 2 ? #", "timestamp": \#(old)}"# : "}")
        }
        let produced = await Self.post(
            server, "/v1/topics/jobs/records", #"{"records": [\#(values.joined(separator: ", "))]}"#)
        #expect(produced.status == 200, "\(produced.body)")
        let consumed = await ProcessRun.run(
            [
                ServerProcess.binary, "consume", "jobs", "--socket", server.socketPath, "--group", "billing",
                "--from-beginning", "--max-messages", "2", "--timeout-ms", "20000",
            ])
        #expect(consumed.status == 0, "\(consumed.stderr)")

        // A share group that rejects one record into its dead-letter topic and holds another.
        let configured = await Self.curl(
            server,
            [
                "-X", "PATCH", "http://sluice/v1/share-groups/workers", "-d",
                #"{"config": {"share.auto.offset.reset": "earliest", "errors.deadletterqueue.topic.name": "jobs-dlq"}}"#,
            ])
        #expect(configured.status == 200, "\(configured.body)")
        let member = try #require(
            await Self.post(server, "/v1/share-groups/workers/members", #"{"topics": ["jobs"]}"#).json["member_id"]
                as? String)
        let first = await Self.post(server, "/v1/share-groups/workers/members/\(member)/records", "")
        #expect((first.json["records"] as? [[String: Any]])?.first?["offset"] as? Int == 0, "\(first.body)")
        let rejected = await Self.post(
            server, "/v1/share-groups/workers/members/\(member)/records",
            #"{"acknowledgements": [{"topic": "jobs", "partition": 0, "offset": 0, "type": "reject"}]}"#)
        #expect((rejected.json["records"] as? [[String: Any]])?.first?["offset"] as? Int == 1, "\(rejected.body)")

        var summary: [String: Any] = [:]
        var letters: [[String: Any]] = []
        for _ in 0..<100 {
            summary = await Self.curl(server, ["http://sluice/v1/status"]).json
            letters = summary["dead_letter_topics"] as? [[String: Any]] ?? []
            if letters.first?["records"] as? Int == 1 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let serverPart = summary["server"] as? [String: Any] ?? [:]
        #expect((serverPart["data_directory_bytes"] as? Int ?? 0) > 0)
        #expect(((serverPart["connections"] as? [String: Any])?["http"] as? Int ?? 0) >= 1, "\(serverPart)")
        let topics = summary["topics"] as? [[String: Any]] ?? []
        let jobs = try #require(topics.first { $0["name"] as? String == "jobs" })
        #expect((jobs["bytes"] as? Int ?? 0) > 0)
        let producedPerMinute = jobs["produced_per_minute"] as? [Int] ?? []
        let fetchedPerMinute = jobs["fetched_per_minute"] as? [Int] ?? []
        #expect(producedPerMinute.count == 60 && fetchedPerMinute.count == 60)
        #expect(producedPerMinute.reduce(0, +) == 5, "\(producedPerMinute)")
        #expect(fetchedPerMinute.reduce(0, +) >= 2, "\(fetchedPerMinute)")

        let groups = summary["groups"] as? [[String: Any]] ?? []
        let billing = try #require(groups.first { $0["name"] as? String == "billing" })
        #expect(billing["lag"] as? Int == 3)
        let partition = (billing["partitions"] as? [[String: Any]])?.first
        #expect(partition?["committed_offset"] as? Int == 2 && partition?["end_offset"] as? Int == 5)
        let age = partition?["oldest_unconsumed_age_ms"] as? Int ?? 0
        #expect(age >= 119_000 && age < 600_000, "\(age)")

        let shares = summary["share_groups"] as? [[String: Any]] ?? []
        let workers = try #require(shares.first { $0["name"] as? String == "workers" })
        #expect(workers["acquired"] as? Int == 1 && workers["dead_lettered"] as? Int == 1, "\(workers)")
        #expect(workers["dead_letter_topic"] as? String == "jobs-dlq")
        #expect(!groups.contains { $0["name"] as? String == "workers" })
        #expect(letters.first?["name"] as? String == "jobs-dlq" && letters.first?["groups"] as? [String] == ["workers"])

        let page = await Self.curl(server, ["http://sluice/"])
        #expect(page.status == 200)
        for text in ["billing", "workers", "jobs-dlq", "<svg", "2 min", #"data-browse="jobs-dlq""#] {
            #expect(page.body.contains(text), "the page shows \(text)")
        }
        #expect(!page.body.contains("http://") && !page.body.contains("https://"), "no external assets")
        let events = await Self.curl(server, ["-N", "http://sluice/v1/status/stream?sections=1"], timeout: 3)
        #expect(events.body.contains("event: sections") && events.body.contains("jobs-dlq"))

        // The dead letter goes back to its topic as a new record without the dead-letter headers; the share group
        // delivers it again.
        let redriven = await Self.post(server, "/v1/topics/jobs-dlq/redrive", #"{"partition": 0, "offsets": [0, 7]}"#)
        #expect(redriven.status == 200, "\(redriven.body)")
        let sent = redriven.json["redriven"] as? [[String: Any]] ?? []
        #expect(sent.count == 1 && sent.first?["topic"] as? String == "jobs" && sent.first?["new_offset"] as? Int == 5)
        #expect((redriven.json["skipped"] as? [[String: Any]])?.first?["offset"] as? Int == 7)
        let back = await Self.curl(server, ["http://sluice/v1/topics/jobs/partitions/0/records?offset=5"])
        let record = (back.json["records"] as? [[String: Any]])?.first
        #expect(record?["value"] as? String == "j0")
        #expect((record?["headers"] as? [[String: Any]])?.isEmpty == true, "\(back.body)")
        let again = await Self.post(
            server, "/v1/share-groups/workers/members/\(member)/records?max_records=10&wait_ms=5000",
            #"{"acknowledgements": [{"topic": "jobs", "partition": 0, "offset": 1, "type": "accept"}]}"#)
        let offsets = (again.json["records"] as? [[String: Any]] ?? []).compactMap { $0["offset"] as? Int }
        #expect(offsets == [2, 3, 4, 5], "\(again.body)")
    }
}
