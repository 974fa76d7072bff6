import Foundation
import SluiceCore
import Testing

@testable import SluiceServer

/// The `kafka_sasl_*` and `kafka_tls_*` keys, `sasl_users` in access rules, and the users file `sluice users`
/// writes.
@Suite struct KafkaSASLSettingsTests {
    func parse(_ text: String) throws(SluiceError) -> ServeSettings {
        try ServeSettings.parse(Array(text.utf8))
    }

    func configuration(_ text: String) throws(SluiceError) -> ServerConfiguration {
        try parse(text).serverConfiguration(socketPath: "/tmp/x.sock", metrics: nil)
    }

    static func entryJSON(_ name: String = "alice", password: String = "secret") -> String {
        SASLUsersFile.text(
            of: .object(
                SASLUsersFile.entry(name: name, password: password, hashes: SCRAMHash.allCases, iterations: 4096)))
    }

    @Test func usersAndSettingsAreRead() throws {
        let settings = try parse(
            """
            {"kafka_listen": "0.0.0.0:9092", "kafka_sasl_required": true,
             "kafka_sasl_mechanisms": ["SCRAM-SHA-512"], "kafka_sasl_users": [\(Self.entryJSON())]}
            """)
        #expect(settings.kafkaSASLRequired == true)
        #expect(settings.kafkaSASLMechanisms == [.scramSHA512])
        let credential = try #require(settings.kafkaSASLUsers?.credential(user: "alice", hash: .sha512))
        #expect(credential.iterations == 4096 && credential.salt.count == 32)
        #expect(credential.verifies(password: "secret", hash: .sha512))
        #expect(!credential.verifies(password: "Secret", hash: .sha512))
        let kafka = try #require(try settings.serverConfiguration(socketPath: "/tmp/x.sock", metrics: nil).kafka)
        #expect(kafka.sasl.required && kafka.sasl.mechanisms == [.scramSHA512])
    }

    @Test func theEntryHoldsNoPassword() {
        let text = Self.entryJSON(password: "hunter2-hunter2")
        #expect(!text.contains("hunter2"))
        #expect(text.contains("\"stored_key\"") && text.contains("\"server_key\"") && text.contains("\"salt\""))
    }

    @Test func aListenerBeyondLoopbackMustRequireSASL() throws {
        #expect(throws: SluiceError.self) { try configuration(#"{"kafka_listen": "0.0.0.0:9092"}"#) }
        do {
            _ = try configuration(#"{"kafka_listen": "192.0.2.1:9092"}"#)
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("not a loopback address") && error.message.contains("kafka_sasl_required"))
        }
        #expect(throws: SluiceError.self) {
            try configuration(#"{"kafka_listen": "0.0.0.0:9092", "kafka_sasl_required": true}"#)
        }
        for loopback in ["127.0.0.1:0", "127.1.2.3:0", "[::1]:0", "localhost:0"] {
            #expect(try configuration("{\"kafka_listen\": \"\(loopback)\"}").kafka?.sasl.required == false)
        }
    }

    #if TLS
        /// With the TLS trait both keys make the listener's TLS settings; one without the other is refused.
        @Test func tlsKeysGoTogether() throws {
            let text = """
                {"kafka_listen": "127.0.0.1:0", "kafka_tls_certificate": "/c.pem", "kafka_tls_key": "/k.pem"}
                """
            #expect(try configuration(text).kafka?.tls == KafkaTLSSettings(certificate: "/c.pem", key: "/k.pem"))
            #expect(try configuration(#"{"kafka_listen": "127.0.0.1:0"}"#).kafka?.tls == nil)
            do {
                _ = try configuration(#"{"kafka_listen": "127.0.0.1:0", "kafka_tls_key": "/k.pem"}"#)
                Issue.record("accepted")
            } catch {
                #expect(error.message.contains("go together"))
            }
        }
    #else
        /// Without the TLS trait a configuration asking for TLS is refused, never served in plain TCP.
        @Test func tlsIsRefused() throws {
            let text = """
                {"kafka_listen": "127.0.0.1:0", "kafka_tls_certificate": "/c.pem", "kafka_tls_key": "/k.pem"}
                """
            #expect(try parse(text).kafkaTLSCertificate == "/c.pem")
            do {
                _ = try configuration(text)
                Issue.record("accepted")
            } catch {
                #expect(error.message.contains("TLS, which this build of sluice does not serve"))
                #expect(error.message.contains("--traits TLS"))
            }
            #expect(throws: SluiceError.self) {
                try configuration(#"{"kafka_listen": "127.0.0.1:0", "kafka_tls_key": "/k.pem"}"#)
            }
        }
    #endif

    @Test(arguments: [
        #"{"kafka_sasl_mechanisms": ["GSSAPI"]}"#,
        #"{"kafka_sasl_mechanisms": []}"#,
        #"{"kafka_sasl_users": [{"name": "a"}]}"#,
        #"{"kafka_sasl_users": [{"name": "a", "password": "x"}]}"#,
        #"{"kafka_sasl_users": [{"name": "a", "scram_sha_256": {"salt": "c2FsdA==", "iterations": 100, "stored_key": "", "server_key": ""}}]}"#,
        #"{"kafka_sasl_users": [{"name": "a", "scram_sha_256": {"salt": "c2FsdA==", "iterations": 4096, "stored_key": "c2FsdA==", "server_key": "c2FsdA=="}}]}"#,
    ])
    func badUserEntriesAreRefused(text: String) {
        #expect(throws: SluiceError.self) { try parse(text) }
    }

    @Test func saslUserRulesNameSASLPrincipalsOnly() throws {
        let settings = try parse(
            """
            {"access": [{"sasl_users": ["alice"], "operations": ["produce"], "topics": ["orders"]},
                        {"sasl_users": ["*"], "operations": ["consume"]},
                        {"users": ["0"], "operations": ["admin"]}]}
            """)
        let policy = try #require(settings.access)
        let alice = PeerIdentity(saslUser: "alice")
        let bob = PeerIdentity(saslUser: "bob")
        #expect(policy.allows(alice, .produce, topic: "orders"))
        #expect(!policy.allows(bob, .produce, topic: "orders"))
        #expect(policy.allows(bob, .consume, topic: "anything"))
        #expect(!policy.allows(alice, .admin, topic: "orders"), "uid rules do not name a SASL principal")
        let root = PeerIdentity(uid: 0, gid: 0, pid: 1)
        #expect(policy.allows(root, .admin, topic: "orders"))
        #expect(!policy.allows(root, .consume, topic: "orders"), "sasl_users rules do not name a uid")
        #expect(!policy.allows(PeerIdentity(uid: 0, gid: 0, pid: 1, saslUser: "carol"), .admin, topic: "x"))
    }

    @Test func theUsersFileIsWrittenWithMode0600AndKeepsOtherKeys() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sasl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sluice.json").path
        try #"{"data_dir": "/var/lib/sluice", "kafka_listen": "127.0.0.1:9092"}"#.write(
            toFile: path, atomically: false, encoding: .utf8)
        let entry = { (password: String) in
            SASLUsersFile.entry(name: "alice", password: password, hashes: [.sha256], iterations: 4096)
        }
        #expect(try SASLUsersFile.add(entry("one"), to: path) == false)
        #expect(try SASLUsersFile.add(entry("two"), to: path) == true)
        #expect(
            try SASLUsersFile.add(
                SASLUsersFile.entry(name: "bob", password: "b", hashes: SCRAMHash.allCases, iterations: 4096), to: path)
                == false)
        #expect(try SASLUsersFile.names(in: path) == ["alice", "bob"])
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let settings = try ServeSettings.load(path: path)
        #expect(settings.dataDir == "/var/lib/sluice")
        let alice = try #require(settings.kafkaSASLUsers?.credential(user: "alice", hash: .sha256))
        #expect(alice.verifies(password: "two", hash: .sha256) && !alice.verifies(password: "one", hash: .sha256))
        #expect(settings.kafkaSASLUsers?.credential(user: "alice", hash: .sha512) == nil)
        #expect(try SASLUsersFile.remove(name: "alice", from: path))
        #expect(try !SASLUsersFile.remove(name: "alice", from: path))
        #expect(try SASLUsersFile.names(in: path) == ["bob"])
    }
}
