import SluiceBroker
import SluiceCore

extension Broker {
    /// Opens a broker on `directory` (with `open`, when it needs more than the directory) once the previous one in
    /// this process let go of its lock: the last references to a shut-down broker, held by finished tasks, may go a
    /// moment after `shutdown`, and on a loaded machine that moment has lasted seconds. Tries for up to 20 s.
    static func reopening(_ directory: String, with open: (() throws -> Broker)? = nil) async throws -> Broker {
        let open = open ?? { try Broker(dataDirectory: directory) }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let broker = try? open() { return broker }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try open()
    }
}
