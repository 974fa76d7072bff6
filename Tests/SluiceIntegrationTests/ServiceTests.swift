import Foundation
import SluiceClient
import SluiceCore
import SluiceProtocol
import Testing

/// Running as a service: the configuration file, access control by peer uid, `stats`, the bounded drain.
@Suite(.serialized) struct ServiceTests {
    /// Runs the `sluice` binary with `arguments`, as uid and gid 65534 (nobody) when `asNobody`, feeding `input`;
    /// returns the exit status and stdout plus stderr.
    static func sluice(_ arguments: [String], input: String = "", asNobody: Bool = false) throws -> (Int32, String) {
        let process = Process()
        if asNobody {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", ServerProcess.binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: ServerProcess.binary)
            process.arguments = arguments
        }
        let stdin = Pipe()
        let output = Pipe()
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = output
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func writeConfig(_ server: ServerProcess, _ json: String) throws -> String {
        let path = "\(server.dataDirectory)/sluice.json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static var canDropPrivileges: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
    }

    @Test(.enabled(if: canDropPrivileges, "needs root and setpriv (util-linux)"))
    func accessByPeerUid() throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        let config = try Self.writeConfig(
            server,
            """
            {"socket_mode": "666", "access": [
              {"users": ["root"], "operations": ["produce", "consume", "admin"]},
              {"users": ["65534"], "operations": ["consume"], "topics": ["readings*"]}]}
            """)
        try server.start(extraArguments: ["--config", config])
        let socket = ["--socket", server.socketPath]

        #expect(try Self.sluice(["topics", "create", "readings"] + socket).0 == 0)
        let (rootProduce, _) = try Self.sluice(["produce", "readings"] + socket, input: "one\ntwo\n")
        #expect(rootProduce == 0, "root may produce")

        let (nobodyProduce, produceText) = try Self.sluice(
            ["produce", "readings"] + socket, input: "three\n",
            asNobody: true)
        #expect(nobodyProduce == 1)
        // With no produce grant at all, the producer's id is refused first.
        #expect(produceText.contains("uid 65534 may not produce any topic (init_producer_id)"), "\(produceText)")

        let (nobodyConsume, consumed) = try Self.sluice(
            ["consume", "readings", "--from-beginning", "--max-messages", "2", "--timeout-ms", "5000"] + socket,
            asNobody: true)
        #expect(nobodyConsume == 0, "nobody may consume (the 0666 socket lets it connect): \(consumed)")
        #expect(consumed == "one\ntwo\n")

        let (nobodyAdmin, adminText) = try Self.sluice(["topics", "delete", "readings"] + socket, asNobody: true)
        #expect(nobodyAdmin == 1)
        #expect(adminText.contains("may not admin"), "\(adminText)")

        let (nobodyStats, _) = try Self.sluice(["stats"] + socket, asNobody: true)
        #expect(nobodyStats == 1, "stats needs admin")

        #expect(server.log.contains("access denied"))
        #expect(server.log.contains("uid=65534"))
        #expect(server.stop() == 0)
    }

    @Test func statsCountWhatHappened() throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        try server.start()
        let socket = ["--socket", server.socketPath]
        #expect(try Self.sluice(["topics", "create", "counted"] + socket).0 == 0)
        #expect(try Self.sluice(["produce", "counted"] + socket, input: "a\nbb\nccc\n").0 == 0)
        let (status, text) = try Self.sluice(["stats"] + socket)
        #expect(status == 0)
        #expect(text.contains(#"sluice_produce_records_total{topic="counted"} 3"#), "\(text)")
        #expect(text.contains(#"sluice_produce_bytes_total{topic="counted"} 6"#))
        #expect(text.contains("sluice_commit_duration_seconds_count"))
        #expect(text.contains(#"sluice_topic_disk_bytes{topic="counted"}"#))
        let (jsonStatus, json) = try Self.sluice(["stats", "--json"] + socket)
        #expect(jsonStatus == 0)
        #expect(json.contains(#""sluice_produce_records_total{topic=\"counted\"}":3"#), "\(json)")
        #expect(server.stop() == 0)
    }

    @Test func aBadConfigurationExits78() throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        let config = try Self.writeConfig(server, #"{"socket_mod": "660"}"#)
        let (status, text) = try Self.sluice(["serve", "--config", config, "--data-dir", server.dataDirectory])
        #expect(status == 78)
        #expect(text.contains("unknown key 'socket_mod'"))
    }

    /// SIGTERM with a long poll waiting and produces in flight: the server answers, stops within its timeout and
    /// exits 0; everything acknowledged is there after a restart.
    @Test func sigtermDrainsWithinTheTimeout() async throws {
        let server = try ServerProcess()
        defer { server.cleanUp() }
        let config = try Self.writeConfig(server, #"{"shutdown_timeout": 2}"#)
        try server.start(extraArguments: ["--config", config])
        let client = try await SluiceClient.connect(socketPath: server.socketPath)
        try await client.createTopic("drain", partitions: 1)
        let producer = try await Producer.connect(socketPath: server.socketPath)
        var acknowledged = 0
        for index in 0..<200 {
            _ = try await producer.send(ProducerRecord(value: Array("m\(index)".utf8)), topic: "drain")
            acknowledged += 1
        }
        let started = Date()
        #expect(server.stop() == 0)
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < 3, "stopped in \(elapsed) s")
        await client.close()

        try server.start(extraArguments: ["--config", config])
        let reader = try await SluiceClient.connect(socketPath: server.socketPath)
        let metadata = try await reader.metadata(["drain"])
        #expect(metadata.first?.partitions.first?.nextOffset == Int64(acknowledged))
        await reader.close()
        #expect(server.stop() == 0)
    }
}
