#if TLS
    import Foundation
    import SluiceClient
    import SluiceCore
    import Testing

    /// TLS on the Kafka listener (a build with the `TLS` trait) with a real client: a self-signed certificate made
    /// by openssl for 127.0.0.1 and localhost, a server requiring SASL with a user added by `sluice users add`, and
    /// confluent-kafka (librdkafka) speaking SASL_SSL with SCRAM-SHA-256. The Python side is
    /// `KafkaClients/kafka_tls.py`.
    @Suite(.serialized, .enabled(if: KafkaTools.installed, "needs kcat, confluent-kafka and kafka-python"))
    struct KafkaTLSTests {
        static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("KafkaClients/kafka_tls.py").path

        /// A temporary folder with `cert.pem`, `key.pem` and a configuration naming them.
        final class TLSFiles: Sendable {
            let directory: String
            var certificate: String { directory + "/cert.pem" }
            var key: String { directory + "/key.pem" }
            var config: String { directory + "/sluice.json" }

            init() async throws {
                directory =
                    FileManager.default.temporaryDirectory.appendingPathComponent(
                        "sluice-tls-\(UUID().uuidString.prefix(8))"
                    ).path
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let made = await ProcessRun.run(
                    [
                        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-days", "2",
                        "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
                    ], timeout: 60)
                #expect(made.status == 0, "openssl: \(made.stderr)")
            }

            func writeConfig(certificate: String, key: String, saslRequired: Bool = true) throws {
                try """
                {"kafka_sasl_required": \(saslRequired), "kafka_auto_create_topics": true,
                 "kafka_tls_certificate": "\(certificate)", "kafka_tls_key": "\(key)",
                 "access": [{"sasl_users": ["alice"], "operations": ["produce", "consume", "admin"]},
                            {"users": ["\(getuid())"], "operations": ["produce", "consume", "admin"]}]}
                """.write(toFile: config, atomically: false, encoding: .utf8)
            }

            func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }
        }

        func scenario(
            _ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation
        ) async {
            let outcome = await ProcessRun.run(["python3", Self.script] + arguments, timeout: 120)
            #expect(
                outcome.status == 0, "\(arguments[0]): \(outcome.stderr.suffix(3000))", sourceLocation: sourceLocation)
        }

        /// SASL_SSL produces and consumes; a plaintext client to the same listener is closed without an answer, and
        /// the listener serves TLS clients after it.
        @Test func saslSSLRoundTripAndPlaintextIsClosed() async throws {
            let files = try await TLSFiles()
            defer { files.cleanUp() }
            try files.writeConfig(certificate: files.certificate, key: files.key)
            let added = await ProcessRun.run(
                [ServerProcess.binary, "users", "add", "alice", "--config", files.config, "--json"],
                input: "alice-secret\n")
            #expect(added.status == 0, "sluice users add: \(added.stderr)")
            let server = try ServerProcess().start(extraArguments: [
                "--config", files.config, "--kafka-listen", "127.0.0.1:0",
            ])
            defer { server.cleanUp() }
            let admin = try await SluiceClient.connect(socketPath: server.socketPath)
            try await admin.createTopic("tls", partitions: 1)
            await admin.close()

            await scenario("round-trip", server.kafkaAddress, files.certificate, "alice", "alice-secret", "tls")
            await scenario("plaintext", server.kafkaAddress)
            await scenario("round-trip", server.kafkaAddress, files.certificate, "alice", "alice-secret", "tls")

            let reader = try await SluiceClient.connect(socketPath: server.socketPath)
            let latest = try await reader.listOffsets(topic: "tls", partition: 0, spec: .latest)
            #expect(latest.offset == 2)
            await reader.close()
        }

        /// A certificate or key that cannot be read or parsed stops the server at start, naming the key.
        @Test func anUnreadableCertificateOrKeyRefusesToStart() async throws {
            let files = try await TLSFiles()
            defer { files.cleanUp() }
            try "not a key\n".write(toFile: files.directory + "/bad.pem", atomically: false, encoding: .utf8)
            let cases = [
                (files.directory + "/missing.pem", files.key, "kafka_tls_certificate"),
                (files.certificate, files.directory + "/bad.pem", "kafka_tls_key"),
                // The certificate where the key should be.
                (files.certificate, files.certificate, "kafka_tls_key"),
            ]
            for (certificate, key, named) in cases {
                // No SASL users: TLS alone, so the files are what is refused.
                try files.writeConfig(certificate: certificate, key: key, saslRequired: false)
                let server = try ServerProcess()
                defer { server.cleanUp() }
                let outcome = await ProcessRun.run(
                    [
                        ServerProcess.binary, "serve", "--data-dir", server.dataDirectory, "--socket",
                        server.socketPath, "--config", files.config, "--kafka-listen", "127.0.0.1:0",
                    ], timeout: 60)
                #expect(outcome.status != 0, "started with \(certificate), \(key)")
                #expect(outcome.stderr.contains(named), "\(outcome.stderr)")
            }
        }
    }
#endif
