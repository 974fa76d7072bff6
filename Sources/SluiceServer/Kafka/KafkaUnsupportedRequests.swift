import CoreMetrics
import Dispatch
import Logging
import Synchronization

/// What happens to a Kafka request for an API or version Sluice does not speak: it is logged at warning level
/// (rate-limited by `UnsupportedRequestLog`: once a minute per client id, API and version) with the client id and
/// the peer's address, and counted in `sluice_kafka_unsupported_requests_total{api,version}`.
///
/// The counter's labels are the request's key and version as numbers; once `maxSeries` pairs exist, further ones
/// count under `api="other",version="other"`, so a client sending made-up keys cannot grow the metrics without
/// bound.
final class KafkaUnsupportedRequests: Sendable {
    private struct Series: Hashable {
        var apiKey: Int16
        var apiVersion: Int16
    }

    private struct State {
        var log: UnsupportedRequestLog
        var counters: [Series: Counter] = [:]
        var other: Counter?
    }

    private let state: Mutex<State>
    private let maxSeries: Int
    private let nowMs: @Sendable () -> Int64

    init(
        log: UnsupportedRequestLog = UnsupportedRequestLog(), maxSeries: Int = 256,
        nowMs: @escaping @Sendable () -> Int64 = { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) }
    ) {
        self.state = Mutex(State(log: log))
        self.maxSeries = maxSeries
        self.nowMs = nowMs
    }

    /// Logs (when due) and counts one request; `answer` says what the client gets ("UNSUPPORTED_VERSION", or the
    /// connection closed).
    func record(apiKey: Int16, apiVersion: Int16, clientID: String?, peer: String, answer: String, logger: Logger) {
        let now = nowMs()
        let (decision, counter) = state.withLock { state in
            let decision = state.log.note(
                clientID: clientID ?? "", apiKey: apiKey, apiVersion: apiVersion, nowMs: now)
            return (decision, self.handle(Series(apiKey: apiKey, apiVersion: apiVersion), in: &state))
        }
        counter.increment()
        guard case .log(let unlogged) = decision else { return }
        var metadata: Logger.Metadata = [
            "api_key": "\(apiKey)", "api_version": "\(apiVersion)", "client_id": "\(clientID ?? "")",
            "peer": "\(peer)", "answer": "\(answer)",
        ]
        if unlogged > 0 { metadata["unlogged_since"] = "\(unlogged)" }
        logger.warning("kafka request for an API or version Sluice does not speak", metadata: metadata)
    }

    private func handle(_ series: Series, in state: inout State) -> Counter {
        if let counter = state.counters[series] { return counter }
        guard state.counters.count < maxSeries else {
            if let other = state.other { return other }
            let other = Counter(
                label: "sluice_kafka_unsupported_requests_total", dimensions: [("api", "other"), ("version", "other")])
            state.other = other
            return other
        }
        let counter = Counter(
            label: "sluice_kafka_unsupported_requests_total",
            dimensions: [("api", "\(series.apiKey)"), ("version", "\(series.apiVersion)")])
        state.counters[series] = counter
        return counter
    }
}
