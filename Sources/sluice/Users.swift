import ArgumentParser
import SluiceCommandLine
import SluiceCore
import SluiceServer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `sluice users`: the SASL users of the Kafka listener, in the configuration file's `kafka_sasl_users`.
struct Users: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, remove and list the SASL users Kafka clients authenticate as.",
        discussion: """
            Users live in the configuration file's kafka_sasl_users, salted and hashed as Kafka stores SCRAM \
            credentials (salt, iterations, StoredKey, ServerKey per SCRAM mechanism); the password itself is never \
            written. PLAIN is checked against the same credentials. A running server reads them when it starts.
            """,
        subcommands: [Add.self, Remove.self, List.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user, or set a new password for one.",
            discussion: """
                Reads the password from standard input (its first line), or asks for it twice when standard input \
                is a terminal. With --config, writes the entry into FILE's kafka_sasl_users (creating FILE, or \
                replacing an entry of the same name), keeping FILE's other keys; FILE is rewritten with mode 0600. \
                Without --config, prints the entry to paste into a configuration file.
                """
        )

        @Argument(help: "The user name.")
        var name: String

        @Option(name: .long, help: ArgumentHelp("Configuration file to write the entry into.", valueName: "file"))
        var config: String?

        @Option(
            name: .long,
            help: ArgumentHelp(
                "SCRAM mechanism to store a credential for: SCRAM-SHA-256 or SCRAM-SHA-512; repeat for both "
                    + "(default both).", valueName: "name"))
        var mechanism: [String] = []

        @Option(
            name: .long,
            help: ArgumentHelp(
                "PBKDF2 iterations (at least \(SCRAMCredential.minIterations); default "
                    + "\(SCRAMCredential.defaultIterations)).", valueName: "n"))
        var iterations = SCRAMCredential.defaultIterations

        @Flag(name: .long, help: "Print what was done as one JSON object.")
        var json = false

        func validate() throws {
            guard !name.isEmpty else { throw ValidationError("the user name is empty") }
            guard iterations >= SCRAMCredential.minIterations else {
                throw ValidationError("--iterations must be at least \(SCRAMCredential.minIterations)")
            }
            for name in mechanism where SCRAMHash(rawValue: name) == nil {
                throw ValidationError("--mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, not '\(name)'")
            }
        }

        func run() throws {
            let hashes =
                mechanism.isEmpty ? SCRAMHash.allCases : SCRAMHash.allCases.filter { mechanism.contains($0.rawValue) }
            let password: String
            do throws(SluiceError) {
                password = try Password.read()
            } catch {
                Output.error("sluice users add: \(error.message)")
                throw ExitCode(1)
            }
            let entry = SASLUsersFile.entry(name: name, password: password, hashes: hashes, iterations: iterations)
            guard let config else {
                Output.line(SASLUsersFile.text(of: .object(entry)))
                return
            }
            let replaced: Bool
            do throws(SluiceError) {
                replaced = try SASLUsersFile.add(entry, to: config)
            } catch {
                Output.error("sluice users add: \(error.message)")
                throw ExitCode(1)
            }
            if json {
                Output.line(
                    JSON.object([
                        ("user", .string(name)), ("config", .string(config)), ("replaced", .bool(replaced)),
                        ("mechanisms", .array(hashes.map { .string($0.rawValue) })),
                        ("iterations", .int(Int64(iterations))),
                    ]).text)
            } else {
                Output.line(
                    "\(replaced ? "updated" : "added") SASL user \(name) in \(config) "
                        + "(\(hashes.map(\.rawValue).joined(separator: ", ")), \(iterations) iterations); "
                        + "restart the server to use it")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a user from a configuration file.")

        @Argument(help: "The user name.")
        var name: String

        @Option(name: .long, help: ArgumentHelp("Configuration file.", valueName: "file"))
        var config: String

        func run() throws {
            let removed: Bool
            do throws(SluiceError) {
                removed = try SASLUsersFile.remove(name: name, from: config)
            } catch {
                Output.error("sluice users remove: \(error.message)")
                throw ExitCode(1)
            }
            guard removed else {
                Output.error("sluice users remove: no SASL user \(name) in \(config)")
                throw ExitCode(1)
            }
            Output.line("removed SASL user \(name) from \(config)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users of a configuration file.")

        @Option(name: .long, help: ArgumentHelp("Configuration file.", valueName: "file"))
        var config: String

        @Flag(name: .long, help: "Print the names as one JSON object.")
        var json = false

        func run() throws {
            let names: [String]
            do throws(SluiceError) {
                names = try SASLUsersFile.names(in: config)
            } catch {
                Output.error("sluice users list: \(error.message)")
                throw ExitCode(1)
            }
            if json {
                Output.line(JSON.object([("users", .array(names.map { .string($0) }))]).text)
            } else {
                for name in names { Output.line(name) }
            }
        }
    }
}

/// A password from standard input: asked for twice, without echo, on a terminal; else its first line.
enum Password {
    static func read() throws(SluiceError) -> String {
        let password: String
        if isatty(STDIN_FILENO) == 1 {
            guard let first = getpass("Password: ").map({ String(cString: $0) }) else {
                throw SluiceError(.invalidArgument, "no password given")
            }
            guard let second = getpass("Password again: ").map({ String(cString: $0) }), second == first else {
                throw SluiceError(.invalidArgument, "the passwords differ")
            }
            password = first
        } else {
            var bytes: [UInt8] = []
            while true {
                let byte = getchar()
                if byte == EOF || byte == 0x0a { break }
                bytes.append(UInt8(truncatingIfNeeded: byte))
            }
            if bytes.last == 0x0d { bytes.removeLast() }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw SluiceError(.invalidArgument, "the password is not UTF-8")
            }
            password = text
        }
        guard !password.isEmpty else { throw SluiceError(.invalidArgument, "the password is empty") }
        return password
    }
}
