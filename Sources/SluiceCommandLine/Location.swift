import ArgumentParser

/// Where the data lives and where the socket is, shared by every command.
package struct Location: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Unix socket of the server.", valueName: "path"))
    package var socket: String?

    package init() {}

    /// `--socket`, else `$SLUICE_SOCKET`, else `DATA_DIR/sluice.sock` with the data directory's own default.
    package func socketPath(dataDirectory: String? = nil) -> String {
        if let socket { return socket }
        if let env = Environment.value("SLUICE_SOCKET"), !env.isEmpty { return env }
        return "\(dataDirectory ?? Location.defaultDataDirectory)/sluice.sock"
    }

    /// `$SLUICE_DATA_DIR`, else `./sluice-data`.
    package static var defaultDataDirectory: String {
        if let env = Environment.value("SLUICE_DATA_DIR"), !env.isEmpty { return env }
        return "./sluice-data"
    }
}
