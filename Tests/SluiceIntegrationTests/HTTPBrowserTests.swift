import Foundation
import Testing

/// The status page in a real browser (headless Chromium) over the HTTP listener's loopback TCP: its script runs to
/// the end without an error, the record browser renders a dead-letter topic's records with the redrive control, and
/// the page draws at a phone's width (a screenshot is taken and checked to be an image).
@Suite struct HTTPBrowserTests {
    static let chromium = ["/usr/bin/chromium-headless-shell", "/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static func browse(_ arguments: [String]) async -> ProcessRun.Outcome {
        await ProcessRun.run(
            [chromium ?? "chromium", "--no-sandbox", "--disable-gpu", "--timeout=5000"] + arguments, timeout: 90)
    }

    @Test(.enabled(if: chromium != nil && HTTPAPITests.hasCurl, "needs chromium-headless-shell (or chromium) and curl"))
    func thePageRunsInABrowser() async throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        try server.start(extraArguments: ["--http-listen", "127.0.0.1:0"])
        let address = try #require(server.httpAddresses.first { !$0.hasPrefix("/") }, "\(server.httpAddresses)")
        func post(_ path: String, _ body: String) async -> HTTPAPITests.Answer {
            await HTTPAPITests.curl(server, ["-X", "POST", "http://sluice" + path, "-d", body])
        }
        #expect(await post("/v1/topics", #"{"name": "jobs", "partitions": 2}"#).status == 201)
        #expect(
            await post("/v1/topics/jobs/records", #"{"records": [{"key": "k", "value": "one"}, {"value": "two"}]}"#)
                .status == 200)
        _ = await HTTPAPITests.curl(
            server,
            [
                "-X", "PATCH", "http://sluice/v1/share-groups/workers", "-d",
                #"{"config": {"share.auto.offset.reset": "earliest", "errors.deadletterqueue.topic.name": "jobs-dlq"}}"#,
            ])
        let member = try #require(
            await post("/v1/share-groups/workers/members", #"{"topics": ["jobs"]}"#).json["member_id"] as? String)
        let got = await post("/v1/share-groups/workers/members/\(member)/records?max_records=10", "")
        let acquired = (got.json["records"] as? [[String: Any]] ?? []).map {
            #"{"topic": "jobs", "partition": \#($0["partition"] as? Int ?? 0), "offset": \#($0["offset"] as? Int ?? 0), "type": "reject"}"#
        }
        #expect(acquired.count == 2, "\(got.body)")
        let rejected = await post(
            "/v1/share-groups/workers/members/\(member)/acknowledgements",
            #"{"acknowledgements": [\#(acquired.joined(separator: ", "))]}"#)
        #expect(rejected.status == 200, "\(rejected.body)")

        // The dead-letter topic in the record browser, as the page's own link opens it.
        let url = "http://\(address)/?topic=jobs-dlq&partition=0&offset="
        var dom = ""
        for _ in 0..<50 {
            let dumped = await Self.browse(["--dump-dom", url])
            #expect(dumped.status == 0, "\(dumped.stderr.suffix(2000))")
            dom = dumped.stdout
            if dom.contains(#"type="checkbox" value="1""#) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        // `ready` once the script has run to its end, `updated` once a refresh from the stream was drawn too.
        #expect(
            dom.contains(#"data-live="ready""#) || dom.contains(#"data-live="updated""#),
            "the page's script ran to its end")
        #expect(dom.contains("<pre>one</pre>") && dom.contains("<pre>two</pre>"), "\(dom.suffix(3000))")
        #expect(dom.contains(#"<button type="button" id="redrive">"#), "the redrive control is shown")
        #expect(dom.contains("workers") && dom.contains("jobs-dlq"))

        let shot = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-page-\(UUID()).png").path
        defer { try? FileManager.default.removeItem(atPath: shot) }
        let taken = await Self.browse(["--window-size=412,1400", "--screenshot=\(shot)", "http://\(address)/"])
        #expect(taken.status == 0, "\(taken.stderr.suffix(2000))")
        let image = try Data(contentsOf: URL(fileURLWithPath: shot))
        #expect(image.starts(with: [0x89, 0x50, 0x4E, 0x47]) && image.count > 10_000, "\(image.count) bytes")
    }
}
