import SluiceBroker

/// The Prometheus text of the per-group series (`Broker.GroupMetrics`), appended to the registry's text.
///
/// These series are computed at each scrape rather than kept in the registry, which cannot remove a series: a
/// group or partition that is gone is simply not rendered the next time.
enum GroupMetricsText {
    /// The registry's text (if any) followed by the per-group series, computed off the caller's thread. With no
    /// registry (metrics off) the answer is empty, as before.
    static func scrape(broker: Broker, registryText: (@Sendable () -> String)?) async -> String {
        guard let registryText else { return "" }
        broker.refreshDiskMetrics()
        let groups = await broker.groupMetrics()
        return registryText() + render(groups)
    }

    static func render(_ metrics: Broker.GroupMetrics) -> String {
        var text = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            guard !samples.isEmpty else { return }
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples { text += "\(name){\(sample.labels)} \(sample.value)\n" }
        }
        func labels(_ group: String, _ topic: String, _ partition: Int32, state: String? = nil) -> String {
            var text = #"group="\#(escaped(group))",topic="\#(escaped(topic))",partition="\#(partition)""#
            if let state { text += #",state="\#(state)""# }
            return text
        }
        family(
            "sluice_group_lag", "gauge", "Records after the group's committed offset (next offset minus committed).",
            metrics.lags.map { (labels($0.group, $0.topic, $0.partition), "\($0.lag)") })
        family(
            "sluice_group_oldest_unconsumed_age_seconds", "gauge",
            "Age of the record at the group's committed offset; 0 when the group has consumed everything.",
            metrics.lags.map { (labels($0.group, $0.topic, $0.partition), "\($0.oldestUnconsumedAgeSeconds)") })
        family(
            "sluice_share_group_records", "gauge", "A share group's records in flight, by state.",
            metrics.shares.flatMap { share in
                [("acquired", share.acquired), ("available", share.available), ("delayed", share.delayed)].map {
                    (labels(share.group, share.topic, share.partition, state: $0.0), "\($0.1)")
                }
            })
        family(
            "sluice_share_group_dead_lettered_total", "counter",
            "Records a share group copied to its dead-letter topic since it began reading the partition.",
            metrics.shares.map { (labels($0.group, $0.topic, $0.partition), "\($0.deadLettered)") })
        family(
            "sluice_share_group_archived_total", "counter",
            "Records a share group archived (rejected or over the delivery limit) since it began reading the partition.",
            metrics.shares.map { (labels($0.group, $0.topic, $0.partition), "\($0.archived)") })
        if metrics.truncated {
            text += "# sluice: per-group series truncated at \(Broker.maxGroupSeries)\n"
        }
        return text
    }

    /// A label value as the text format writes it: backslash, double quote and line feed escaped.
    static func escaped(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}
