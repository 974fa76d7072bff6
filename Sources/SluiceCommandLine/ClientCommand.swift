import ArgumentParser
import SluiceClient
import SluiceCore

/// Runs the body of a command that talks to a server. A `SluiceError` (unknown topic, no server at the socket, ...)
/// is reported on stderr as `sluice COMMAND: MESSAGE` and ends the command with exit code 1.
package func reportingErrors(_ command: String, _ body: () async throws(SluiceError) -> Void) async throws {
    do {
        try await body()
    } catch {
        Output.error("sluice \(command): \(error.message)")
        throw ExitCode(1)
    }
}

/// Connects a `SluiceClient` to the server at `location`, runs `body` with it and closes it.
package func withClient<T>(_ location: Location, _ body: (SluiceClient) async throws(SluiceError) -> T)
    async throws(SluiceError) -> T
{
    let client = try await SluiceClient.connect(socketPath: location.socketPath())
    do {
        let result = try await body(client)
        await client.close()
        return result
    } catch {
        await client.close()
        throw error
    }
}
