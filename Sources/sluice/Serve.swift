import ArgumentParser
import Logging
import SluiceBroker
import SluiceCore
import SluiceServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server on a Unix socket.",
        discussion: "Prints 'listening on PATH' on stdout once it is ready. SIGINT or SIGTERM stop it cleanly."
    )

    @Option(name: .long, help: ArgumentHelp(
        "Data directory (default: $SLUICE_DATA_DIR, else ./sluice-data).", valueName: "dir"))
    var dataDir: String?

    @OptionGroup var location: Location

    @Option(name: .long, help: ArgumentHelp("Permissions of the socket file, in octal.", valueName: "mode"))
    var socketMode: String = "660"

    @Option(name: .long, help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical."))
    var logLevel: String = "info"

    @Option(name: .long, help: ArgumentHelp("Requests in flight allowed per connection.", valueName: "n"))
    var maxInFlight: Int = 1024

    @Option(name: .long, help: ArgumentHelp("Largest request frame accepted, in bytes.", valueName: "bytes"))
    var maxFrameBytes: Int = 16 * 1024 * 1024 + 1024

    func validate() throws {
        guard UInt32(socketMode, radix: 8) != nil else {
            throw ValidationError("--socket-mode must be an octal number such as 660, not '\(socketMode)'")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard maxInFlight > 0 else { throw ValidationError("--max-in-flight must be positive") }
        guard maxFrameBytes >= 1024 else { throw ValidationError("--max-frame-bytes must be at least 1024") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let dataDirectory = dataDir ?? Location.defaultDataDirectory
        let socketPath = location.socketPath(dataDirectory: dataDirectory)
        do {
            let broker = try Broker(dataDirectory: dataDirectory, logger: Logger(label: "sluice.broker"))
            var configuration = ServerConfiguration(socketPath: socketPath)
            configuration.socketMode = UInt32(socketMode, radix: 8) ?? 0o660
            configuration.maxInFlightPerConnection = maxInFlight
            configuration.maxFrameBytes = maxFrameBytes
            let server = SluiceServer(configuration: configuration, broker: broker, logger: Logger(label: "sluice.server"))
            server.handleTerminationSignals()
            do {
                try await server.start()
            } catch {
                await broker.shutdown()
                throw error
            }
            Output.line("listening on \(socketPath)")
            await server.waitUntilStopped()
        } catch let error as SluiceError {
            Output.error("sluice serve: \(error.message)")
            throw ExitCode(1)
        }
    }
}
