import CoreMetrics
import SluiceProtocol

/// The server's metrics: connections, requests and errors by API, refusals by the access policy.
///
/// Handles are made once, at start, so a request costs an atomic increment, not a lookup in the metrics backend.
struct ServerMetrics: Sendable {
    let connections = Meter(label: "sluice_connections")
    let denied = Counter(label: "sluice_access_denied_total")
    private let requests: [APIKey: Counter]
    private let errors: [APIKey: Counter]

    init() {
        var requests: [APIKey: Counter] = [:]
        var errors: [APIKey: Counter] = [:]
        for key in APIKey.allCases {
            requests[key] = Counter(label: "sluice_requests_total", dimensions: [("api", key.name)])
            errors[key] = Counter(label: "sluice_request_errors_total", dimensions: [("api", key.name)])
        }
        self.requests = requests
        self.errors = errors
    }

    func request(_ key: APIKey) { requests[key]?.increment() }
    func error(_ key: APIKey) { errors[key]?.increment() }
}
