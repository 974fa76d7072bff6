import Foundation
import Testing

/// Share groups over the HTTP API, driven with curl: members join, acquire, acknowledge (accept, release, reject,
/// piggybacked on the next acquisition), a bad acknowledgement is refused, the group and its dead letters are seen,
/// a member leaves; and three shell loops of curl and jq share one partition as workers, each record done once.
@Suite struct HTTPShareGroupTests {
    typealias Answer = HTTPAPITests.Answer

    static var hasJq: Bool {
        ["/usr/bin/jq", "/usr/local/bin/jq"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func curl(_ server: ServerProcess, _ arguments: [String]) async -> Answer {
        await HTTPAPITests.curl(server, arguments)
    }

    static func post(_ server: ServerProcess, _ path: String, _ body: String? = nil) async -> Answer {
        await curl(server, ["-X", "POST", "http://sluice" + path] + (body.map { ["-d", $0] } ?? []))
    }

    static func ack(_ offset: Int, _ type: String, topic: String = "jobs") -> String {
        #"{"topic": "\#(topic)", "partition": 0, "offset": \#(offset), "type": "\#(type)"}"#
    }

    static func records(_ answer: Answer) -> [[String: Any]] { answer.json["records"] as? [[String: Any]] ?? [] }

    @Test(.enabled(if: HTTPAPITests.hasCurl, "needs curl"))
    func membersAcquireAcknowledgeAndLeave() async throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        try server.start()
        #expect(await Self.post(server, "/v1/topics", #"{"name": "jobs"}"#).status == 201)
        let configured = await Self.curl(
            server,
            [
                "-X", "PATCH", "http://sluice/v1/share-groups/g", "-d",
                #"{"config": {"share.auto.offset.reset": "earliest", "errors.deadletterqueue.topic.name": "dlq"}}"#,
            ])
        #expect(configured.status == 200, "\(configured.body)")
        let produced = await Self.post(
            server, "/v1/topics/jobs/records", #"{"records": [{"value": "a"}, {"value": "b"}, {"value": "c"}]}"#)
        #expect(produced.status == 200, "\(produced.body)")

        let joinA = await Self.post(server, "/v1/share-groups/g/members", #"{"topics": ["jobs"], "client_id": "a"}"#)
        #expect(joinA.status == 201, "\(joinA.body)")
        let a = try #require(joinA.json["member_id"] as? String)
        #expect(a.hasPrefix("a-"))
        #expect((joinA.json["assignment"] as? [[String: Any]])?.first?["partitions"] as? [Int] == [0])
        let b = try #require(
            await Self.post(server, "/v1/share-groups/g/members", #"{"topics": ["jobs"]}"#).json["member_id"]
                as? String)

        // Each acquisition gets a record nobody else holds.
        let first = await Self.post(server, "/v1/share-groups/g/members/\(a)/records")
        #expect(first.status == 200, "\(first.body)")
        let second = await Self.post(server, "/v1/share-groups/g/members/\(b)/records")
        #expect(Self.records(first).map { $0["offset"] as? Int } == [0])
        #expect(Self.records(first).first?["value"] as? String == "a")
        #expect(Self.records(first).first?["delivery_count"] as? Int == 1)
        #expect(Self.records(first).first?["topic"] as? String == "jobs")
        #expect(Self.records(second).map { $0["offset"] as? Int } == [1])

        let accepted = await Self.post(
            server, "/v1/share-groups/g/members/\(a)/acknowledgements",
            #"{"acknowledgements": [\#(Self.ack(0, "accept"))]}"#)
        #expect(accepted.status == 200, "\(accepted.body)")
        let released = await Self.post(
            server, "/v1/share-groups/g/members/\(b)/acknowledgements",
            #"{"acknowledgements": [\#(Self.ack(1, "release"))]}"#)
        #expect(released.status == 200, "\(released.body)")

        // The released record comes back with its count raised, beside the one never delivered.
        let third = await Self.post(server, "/v1/share-groups/g/members/\(a)/records?max_records=10&wait_ms=5000")
        let got = Self.records(third).map { ($0["offset"] as? Int ?? -1, $0["delivery_count"] as? Int ?? -1) }
        #expect(got.map(\.0) == [1, 2] && got.map(\.1) == [2, 1], "\(third.body)")

        // Acknowledgements ride on the next acquisition; nothing is left to acquire.
        let fourth = await Self.post(
            server, "/v1/share-groups/g/members/\(a)/records",
            #"{"acknowledgements": [\#(Self.ack(1, "accept")), \#(Self.ack(2, "reject"))]}"#)
        #expect(fourth.status == 200, "\(fourth.body)")
        #expect(Self.records(fourth).isEmpty)
        let piggybacked = fourth.json["acknowledgements"] as? [[String: Any]] ?? []
        #expect(piggybacked.count == 1 && piggybacked.first?["error"] == nil, "\(fourth.body)")

        // A record this member does not hold: refused, with the partition's result.
        let refused = await Self.post(
            server, "/v1/share-groups/g/members/\(b)/acknowledgements",
            #"{"acknowledgements": [\#(Self.ack(0, "accept"))]}"#)
        #expect(refused.status == 400, "\(refused.body)")
        let result = (refused.json["results"] as? [[String: Any]])?.first
        #expect((result?["error"] as? [String: Any])?["code"] as? String == "invalid_argument")
        let badType = await Self.post(
            server, "/v1/share-groups/g/members/\(b)/acknowledgements",
            #"{"acknowledgements": [\#(Self.ack(0, "maybe"))]}"#)
        #expect(badType.status == 400 && badType.errorCode == "invalid_argument")

        // The group and its dead letter.
        let described = await Self.curl(server, ["http://sluice/v1/share-groups/g"])
        #expect(described.status == 200, "\(described.body)")
        #expect((described.json["members"] as? [[String: Any]])?.count == 2)
        let partition = ((described.json["topics"] as? [[String: Any]])?.first?["partitions"] as? [[String: Any]])?
            .first
        #expect(partition?["start_offset"] as? Int == 3)
        #expect(partition?["archived"] as? Int == 1)
        #expect((described.json["config"] as? [String: Any])?["errors.deadletterqueue.topic.name"] as? String == "dlq")
        var letters: [[String: Any]] = []
        for _ in 0..<100 {
            letters = Self.records(await Self.curl(server, ["http://sluice/v1/topics/dlq/partitions/0/records"]))
            if !letters.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(letters.first?["value"] as? String == "c")
        let reasons = (letters.first?["headers"] as? [[String: Any]] ?? []).filter {
            $0["name"] as? String == "sluice.dlq.reason"
        }
        #expect(reasons.first?["value"] as? String == "rejected")

        // A member that leaves is unknown from then on.
        let left = await Self.curl(server, ["-X", "DELETE", "http://sluice/v1/share-groups/g/members/\(a)"])
        #expect(left.status == 200, "\(left.body)")
        let gone = await Self.post(server, "/v1/share-groups/g/members/\(a)/records")
        #expect(gone.status == 404 && gone.errorCode == "unknown_member", "\(gone.body)")
        let beat = await Self.post(server, "/v1/share-groups/g/members/\(b)/heartbeat")
        #expect(beat.status == 200 && beat.json["member_id"] as? String == b, "\(beat.body)")

        // Offsets are reset and the group deleted only once it has no members.
        let reset = #"{"topic": "jobs", "to": "earliest"}"#
        let busy = await Self.post(server, "/v1/share-groups/g/reset-offsets", reset)
        #expect(busy.status == 409 && busy.errorCode == "group_not_empty", "\(busy.body)")
        let bLeft = await Self.curl(server, ["-X", "DELETE", "http://sluice/v1/share-groups/g/members/\(b)"])
        #expect(bLeft.status == 200)
        let rewound = await Self.post(server, "/v1/share-groups/g/reset-offsets", reset)
        #expect(rewound.status == 200, "\(rewound.body)")
        let after = await Self.curl(server, ["http://sluice/v1/share-groups/g"])
        let restarted = ((after.json["topics"] as? [[String: Any]])?.first?["partitions"] as? [[String: Any]])?.first
        #expect(restarted?["start_offset"] as? Int == 0, "\(after.body)")
        let again = await Self.post(
            server, "/v1/share-groups/g/members", #"{"topics": ["jobs"], "client_id": "c"}"#)
        let c = try #require(again.json["member_id"] as? String)
        let redone = await Self.post(server, "/v1/share-groups/g/members/\(c)/records?max_records=10&wait_ms=5000")
        #expect(Self.records(redone).map { $0["offset"] as? Int } == [0, 1, 2], "\(redone.body)")
        let leftToo = await Self.curl(server, ["-X", "DELETE", "http://sluice/v1/share-groups/g/members/\(c)"])
        #expect(leftToo.status == 200)
        let deleted = await Self.curl(server, ["-X", "DELETE", "http://sluice/v1/share-groups/g"])
        #expect(deleted.status == 200 && deleted.json["deleted"] as? String == "g", "\(deleted.body)")
        let missing = await Self.curl(server, ["http://sluice/v1/share-groups/g"])
        #expect(missing.status == 404, "\(missing.body)")
    }

    /// Three workers, each a shell loop of curl and jq: join, acquire one record (waiting up to 2 s), write it down,
    /// accept it; stop when an acquisition comes back empty. Every record is done exactly once among them.
    @Test(.enabled(if: HTTPAPITests.hasCurl && hasJq, "needs curl and jq"))
    func shellWorkersShareOnePartition() async throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        try server.start()
        #expect(await Self.post(server, "/v1/topics", #"{"name": "jobs"}"#).status == 201)
        _ = await Self.curl(
            server,
            [
                "-X", "PATCH", "http://sluice/v1/share-groups/w", "-d",
                #"{"config": {"share.auto.offset.reset": "earliest"}}"#,
            ])
        let total = 30
        let body = (0..<total).map { #"{"value": "job-\#($0)"}"# }.joined(separator: ", ")
        #expect(await Self.post(server, "/v1/topics/jobs/records", #"{"records": [\#(body)]}"#).status == 200)
        let worker = #"""
            H="--unix-socket $SOCK"
            member=$(curl -sf $H -X POST http://sluice/v1/share-groups/w/members -d '{"topics": ["jobs"]}' | jq -r .member_id)
            while :; do
                got=$(curl -sf $H -X POST "http://sluice/v1/share-groups/w/members/$member/records?wait_ms=2000") || exit 1
                [ "$(echo "$got" | jq '.records | length')" = 0 ] && break
                offset=$(echo "$got" | jq '.records[0].offset')
                echo "$got" | jq -r '.records[0].value'
                curl -sf $H -X POST "http://sluice/v1/share-groups/w/members/$member/acknowledgements" \
                    -d "{\"acknowledgements\": [{\"topic\": \"jobs\", \"partition\": 0, \"offset\": $offset, \"type\": \"accept\"}]}" \
                    > /dev/null || exit 1
            done
            """#
        let socket = "\(server.dataDirectory)/http.sock"
        let runs = await withTaskGroup(of: ProcessRun.Outcome.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    await ProcessRun.run(["/usr/bin/env", "SOCK=\(socket)", "sh", "-c", worker], timeout: 120)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(runs.allSatisfy { $0.status == 0 }, "\(runs.map(\.stderr))")
        let done = runs.flatMap { $0.stdout.split(separator: "\n").map(String.init) }
        #expect(done.sorted() == (0..<total).map { "job-\($0)" }.sorted())
        print("shell workers did \(runs.map { $0.stdout.split(separator: "\n").count }) records")
        let described = await Self.curl(server, ["http://sluice/v1/share-groups/w"])
        let partition = ((described.json["topics"] as? [[String: Any]])?.first?["partitions"] as? [[String: Any]])?
            .first
        #expect(partition?["start_offset"] as? Int == total, "\(described.body)")
    }
}
