import Foundation
import Testing

/// The HTTP API and the status page on the server's HTTP socket, driven with curl: topics, produce and read, a long
/// poll, a stream that resumes from `Last-Event-ID`, groups, errors as JSON, and the access policy.
@Suite struct HTTPAPITests {
    struct Answer {
        var status: Int
        var body: String
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    }

    static var hasCurl: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") }

    /// `curl` on the server's HTTP socket; the status is the last line curl writes.
    static func curl(_ server: ServerProcess, _ arguments: [String], timeout: TimeInterval = 60) async -> Answer {
        let run = await ProcessRun.run(
            [
                "curl", "-s", "--max-time", "\(Int(timeout))", "--unix-socket", "\(server.dataDirectory)/http.sock",
                "-w", "\n%{http_code}",
            ] + arguments, timeout: timeout + 5)
        var lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let status = Int(lines.popLast() ?? "") ?? -1
        return Answer(status: status, body: lines.joined(separator: "\n"))
    }

    @Test(.enabled(if: hasCurl, "needs curl"))
    func topicsProduceAndRead() async throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        try server.start()
        let created = await Self.curl(
            server, ["-X", "POST", "http://sluice/v1/topics", "-d", #"{"name": "orders", "partitions": 2}"#])
        #expect(created.status == 201, "\(created.body)")
        let again = await Self.curl(server, ["-X", "POST", "http://sluice/v1/topics", "-d", #"{"name": "orders"}"#])
        #expect(again.status == 409 && again.errorCode == "topic_already_exists")

        let produced = await Self.curl(
            server,
            [
                "-X", "POST", "http://sluice/v1/topics/orders/records", "-d",
                #"{"records": [{"value": "one", "partition": 1}, {"value_base64": "AAEC", "partition": 1, "#
                    + #""headers": {"trace": "x"}}, {"key": "k", "value": "keyed"}]}"#,
            ])
        #expect(produced.status == 200, "\(produced.body)")
        let offsets = produced.json["offsets"] as? [[String: Any]] ?? []
        #expect(offsets.count == 3)
        #expect(offsets.prefix(2).map { $0["offset"] as? Int } == [0, 1])

        let read = await Self.curl(server, ["http://sluice/v1/topics/orders/partitions/1/records?offset=0&limit=1"])
        #expect(read.status == 200)
        var records = read.json["records"] as? [[String: Any]] ?? []
        #expect(records.count == 1 && records.first?["value"] as? String == "one")
        #expect(read.json["next_offset"] as? Int == 1 && read.json["high_watermark"] as? Int == 2)
        let next = await Self.curl(server, ["http://sluice/v1/topics/orders/partitions/1/records?offset=1"])
        records = next.json["records"] as? [[String: Any]] ?? []
        #expect(records.first?["value"] as? String == "\u{0}\u{1}\u{2}")
        #expect((records.first?["headers"] as? [[String: Any]])?.first?["value"] as? String == "x")
        let base64 = await Self.curl(
            server, ["http://sluice/v1/topics/orders/partitions/1/records?offset=1&encoding=base64"])
        #expect((base64.json["records"] as? [[String: Any]])?.first?["value_base64"] as? String == "AAEC")

        // The CLI sees what HTTP produced.
        let consumed = await ProcessRun.run(
            [
                ServerProcess.binary, "consume", "orders", "--socket", server.socketPath, "--partition", "1",
                "--from-beginning", "--max-messages", "1", "--timeout-ms", "10000",
            ])
        #expect(consumed.stdout.contains("one"), "\(consumed.stderr)")

        let listed = await Self.curl(server, ["http://sluice/v1/topics"])
        let topics = listed.json["topics"] as? [[String: Any]] ?? []
        #expect(topics.map { $0["name"] as? String } == ["orders"] && topics.first?["records"] as? Int == 3)
        let described = await Self.curl(server, ["http://sluice/v1/topics/orders"])
        #expect(described.json["partition_count"] as? Int == 2)
        let altered = await Self.curl(
            server, ["-X", "PATCH", "http://sluice/v1/topics/orders", "-d", #"{"config": {"retention.ms": 60000}}"#])
        #expect(altered.status == 200, "\(altered.body)")
        let after = await Self.curl(server, ["http://sluice/v1/topics/orders"])
        #expect((after.json["config"] as? [String: Any])?["retention.ms"] as? String == "60000")

        let deleted = await Self.curl(server, ["-X", "DELETE", "http://sluice/v1/topics/orders"])
        #expect(deleted.status == 200)
        let gone = await Self.curl(server, ["http://sluice/v1/topics/orders"])
        #expect(gone.status == 404 && gone.errorCode == "unknown_topic")
    }

    @Test(.enabled(if: hasCurl, "needs curl"))
    func badRequestsAreAnsweredWithJSONErrors() async throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        try server.start(extraArguments: ["--max-frame-bytes", "65536"])
        _ = await Self.curl(server, ["-X", "POST", "http://sluice/v1/topics", "-d", #"{"name": "t"}"#])
        let cases: [([String], Int, String)] = [
            (["http://sluice/v1/nothing"], 404, "unsupported_request"),
            (["-X", "POST", "http://sluice/v1/topics", "-d", "{not json"], 400, "invalid_argument"),
            (["-X", "POST", "http://sluice/v1/topics/t/records", "-d", #"{"records": []}"#], 400, "invalid_argument"),
            (["-X", "POST", "http://sluice/v1/topics/nope/records", "-d", #"{"value": "x"}"#], 404, "unknown_topic"),
            (
                ["-X", "POST", "http://sluice/v1/topics/t/records", "-d", #"{"value": "x", "partition": 9}"#], 404,
                "unknown_partition"
            ),
            (["http://sluice/v1/topics/t/partitions/0/records?limit=0"], 400, "invalid_argument"),
            (["http://sluice/v1/topics/t/partitions/x/records"], 400, "invalid_argument"),
            (["http://sluice/v1/topics/t/partitions/0/records?offset=5"], 400, "offset_out_of_range"),
        ]
        for (arguments, status, code) in cases {
            let answer = await Self.curl(server, arguments)
            #expect(
                answer.status == status && answer.errorCode == code, "\(arguments): \(answer.status) \(answer.body)")
        }
        // A body past the limit is refused whole, and the server goes on serving.
        let big = String(repeating: "x", count: 100_000)
        let tooBig = await Self.curl(
            server, ["-X", "POST", "http://sluice/v1/topics/t/records", "-d", #"{"value": "\#(big)"}"#])
        #expect(tooBig.status == 413, "\(tooBig.status)")
        #expect(await Self.curl(server, ["http://sluice/v1/health"]).status == 200)
    }

    @Test(.enabled(if: hasCurl, "needs curl"))
    func aLongPollAndAStreamThatResumes() async throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        try server.start()
        _ = await Self.curl(server, ["-X", "POST", "http://sluice/v1/topics", "-d", #"{"name": "t"}"#])
        async let waited = Self.curl(server, ["http://sluice/v1/topics/t/partitions/0/records?offset=0&wait_ms=30000"])
        try await Task.sleep(for: .milliseconds(500))
        _ = await Self.curl(server, ["-X", "POST", "http://sluice/v1/topics/t/records", "-d", #"{"value": "late"}"#])
        let answer = await waited
        #expect((answer.json["records"] as? [[String: Any]])?.first?["value"] as? String == "late", "\(answer.body)")

        for index in 1...3 {
            _ = await Self.curl(
                server, ["-X", "POST", "http://sluice/v1/topics/t/records", "-d", #"{"value": "v\#(index)"}"#])
        }
        // Resuming after offset 1: records 2 and 3 only, each an event whose id is its offset.
        let stream = await Self.curl(
            server, ["-N", "-H", "Last-Event-ID: 1", "http://sluice/v1/topics/t/partitions/0/stream?offset=0"],
            timeout: 3)
        let ids = stream.body.split(separator: "\n").filter { $0.hasPrefix("id: ") }.map { $0.dropFirst(4) }
        #expect(ids == ["2", "3"], "\(stream.body)")
        #expect(stream.body.contains(#""value":"v3""#))
        let refused = await Self.curl(server, ["http://sluice/v1/topics/nope/partitions/0/stream"], timeout: 5)
        #expect(refused.status == 404 && refused.errorCode == "unknown_topic")
    }

    @Test(.enabled(if: hasCurl, "needs curl"))
    func groupsAndTheStatusPage() async throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        try server.start()
        _ = await Self.curl(server, ["-X", "POST", "http://sluice/v1/topics", "-d", #"{"name": "jobs"}"#])
        for index in 0..<5 {
            _ = await Self.curl(
                server, ["-X", "POST", "http://sluice/v1/topics/jobs/records", "-d", #"{"value": "j\#(index)"}"#])
        }
        let consumed = await ProcessRun.run(
            [
                ServerProcess.binary, "consume", "jobs", "--socket", server.socketPath, "--group", "billing",
                "--from-beginning", "--max-messages", "2", "--timeout-ms", "20000",
            ])
        #expect(consumed.status == 0, "\(consumed.stderr)")
        let groups = await Self.curl(server, ["http://sluice/v1/groups"])
        #expect((groups.json["groups"] as? [[String: Any]])?.contains { $0["name"] as? String == "billing" } == true)
        let group = await Self.curl(server, ["http://sluice/v1/groups/billing"])
        #expect(group.json["lag"] as? Int == 3, "\(group.body)")
        let reset = await Self.curl(
            server,
            [
                "-X", "POST", "http://sluice/v1/groups/billing/reset-offsets", "-d",
                #"{"topic": "jobs", "to": "latest"}"#,
            ])
        #expect(reset.status == 200, "\(reset.body)")
        #expect(await Self.curl(server, ["http://sluice/v1/groups/billing"]).json["lag"] as? Int == 0)

        let page = await Self.curl(server, ["http://sluice/"])
        #expect(page.status == 200 && page.body.contains("<title>Sluice</title>") && page.body.contains("billing"))
        #expect(!page.body.contains("http://") && !page.body.contains("https://"), "no external assets")
        let status = await Self.curl(server, ["http://sluice/v1/status"])
        #expect((status.json["topics"] as? [[String: Any]])?.first?["records"] as? Int == 5)
        let events = await Self.curl(server, ["-N", "http://sluice/v1/status/stream"], timeout: 3)
        #expect(events.body.contains("event: status"), "\(events.body)")
    }

    /// The access policy applies on the HTTP socket as on the native one: the peer is named by its credentials.
    @Test(.enabled(if: hasCurl, "needs curl"))
    func theAccessPolicyApplies() async throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        let group = String(cString: getgrgid(getgid()).pointee.gr_name)
        let config = try ServiceTests.writeConfig(
            server,
            """
            {"access": [
              {"groups": ["\(group)"], "operations": ["produce", "consume", "admin"], "topics": ["granted.*"]}]}
            """)
        try server.start(extraArguments: ["--config", config])
        let granted = await Self.curl(
            server, ["-X", "POST", "http://sluice/v1/topics", "-d", #"{"name": "granted.t"}"#])
        #expect(granted.status == 201, "\(granted.body)")
        let refused = await Self.curl(server, ["-X", "POST", "http://sluice/v1/topics", "-d", #"{"name": "other"}"#])
        #expect(refused.status == 403 && refused.errorCode == "not_authorized", "\(refused.body)")
        // Redriving dead letters needs admin on the dead-letter topic.
        let redrive = await Self.curl(
            server, ["-X", "POST", "http://sluice/v1/topics/other/redrive", "-d", #"{"offsets": [0]}"#])
        #expect(redrive.status == 403 && redrive.errorCode == "not_authorized", "\(redrive.body)")
        #expect(server.log.contains("access denied"))
    }
}
