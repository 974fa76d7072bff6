import SluiceCore
import SluiceProtocol

extension SluiceClient {
    /// Asks the server to write a consistent backup of every topic and the catalog into `directory`, an absolute
    /// path on the server's host that it creates (or an empty folder), and returns once the backup is complete.
    /// The server goes on serving meanwhile. Throws `.notAuthorized` under a policy that does not grant `admin` on
    /// every topic, `.invalidArgument` for a folder it cannot use.
    package func backup(to directory: String) async throws(SluiceError) -> BackupResponse {
        guard case .backup(let response) = try await send(.backup(BackupRequest(directory: directory))) else {
            throw Self.unexpected(.backup)
        }
        return response
    }
}
