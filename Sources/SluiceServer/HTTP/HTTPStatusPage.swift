import SluiceBroker
import SluiceCore
import SluiceProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The status page at `/` and the `/v1/status` summary it is drawn from: the server, its topics and its groups with
/// their lag, as the peer may see them (each part is a native request, so the access policy leaves out what it
/// would refuse on the socket).
///
/// The page is rendered on the server, whole, and refreshes itself from `/v1/status/stream` (Server-Sent Events)
/// while it is open; nothing runs for it when no page is open.
enum HTTPStatusPage {
    struct Summary: Encodable, Sendable {
        struct Server: Encodable, Sendable {
            var version: String
            var uptimeSeconds: Int64
            var dataDirectory: String
            var freeDiskBytes: Int64?
        }
        struct Topic: Encodable, Sendable {
            var name: String
            var partitions: Int
            var records: Int64
            var nextOffset: Int64
        }
        struct Group: Encodable, Sendable {
            var name: String
            var state: String
            var members: Int32
            var lag: Int64?
        }
        var server: Server
        var topics: [Topic]
        var groups: [Group]
    }

    /// Groups described one by one for their lag; past this many the rest are listed without it.
    static let describedGroups = 50

    static func summary(api: HTTPAPI, peer: PeerIdentity?) async -> Summary {
        let broker = api.dispatcher.broker
        var topics: [Summary.Topic] = []
        if case .success(.metadata(let metadata)) = await api.run(.metadata(MetadataRequest(topics: nil)), peer: peer) {
            topics = metadata.topics.filter { $0.error == nil }.map { topic in
                Summary.Topic(
                    name: topic.name, partitions: topic.partitions.count,
                    records: topic.partitions.reduce(0) { $0 + $1.nextOffset - $1.logStartOffset },
                    nextOffset: topic.partitions.reduce(0) { $0 + $1.nextOffset })
            }
        }
        var groups: [Summary.Group] = []
        if case .success(.listGroups(let list)) = await api.run(.listGroups(ListGroupsRequest()), peer: peer) {
            for (index, group) in list.groups.enumerated() {
                var lag: Int64?
                if index < describedGroups,
                    case .success(.describeGroup(let described)) = await api.run(
                        .describeGroup(DescribeGroupRequest(group: group.name)), peer: peer)
                {
                    lag = described.topics.flatMap(\.partitions).reduce(0) { $0 + ($1.lag ?? 0) }
                }
                groups.append(
                    Summary.Group(name: group.name, state: group.state.rawValue, members: group.memberCount, lag: lag))
            }
        }
        return Summary(
            server: .init(
                version: SluiceVersion.current, uptimeSeconds: api.uptimeSeconds,
                dataDirectory: broker.dataDirectory, freeDiskBytes: freeBytes(broker.dataDirectory)),
            topics: topics, groups: groups)
    }

    static func freeBytes(_ path: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    static func render(api: HTTPAPI, peer: PeerIdentity?) async throws(SluiceError) -> String {
        let summary = await summary(api: api, peer: peer)
        let json = String(decoding: HTTPJSON.encode(summary), as: UTF8.self)
        var rows = ""
        for topic in summary.topics {
            rows += "<tr><td>\(escaped(topic.name))</td><td>\(topic.partitions)</td><td>\(topic.records)</td></tr>"
        }
        var groupRows = ""
        for group in summary.groups {
            groupRows +=
                "<tr><td>\(escaped(group.name))</td><td>\(group.state)</td><td>\(group.members)</td>"
                + "<td>\(group.lag.map(String.init) ?? "")</td></tr>"
        }
        return
            page
            .replacing("{{version}}", with: escaped(summary.server.version))
            .replacing("{{topics}}", with: rows)
            .replacing("{{groups}}", with: groupRows)
            .replacing("{{summary}}", with: json.replacing("<", with: "\\u003c"))
    }

    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// The page: no external assets, readable on a phone; its script redraws the tables from each status event.
    static let page = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Sluice</title>
        <style>
        body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:60em;padding:1em;color:#222}
        h1{font-size:1.4em;margin:.2em 0} h2{font-size:1.1em;margin-top:1.5em}
        table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:.3em .5em;border-bottom:1px solid #ddd}
        td:nth-child(n+2),th:nth-child(n+2){text-align:right} .muted{color:#777}
        </style></head><body>
        <h1>Sluice <span class="muted" id="version">{{version}}</span></h1>
        <p id="server" class="muted"></p>
        <h2>Topics</h2>
        <table><thead><tr><th>topic</th><th>partitions</th><th>records</th></tr></thead>
        <tbody id="topics">{{topics}}</tbody></table>
        <h2>Consumer groups</h2>
        <table><thead><tr><th>group</th><th>state</th><th>members</th><th>lag</th></tr></thead>
        <tbody id="groups">{{groups}}</tbody></table>
        <script>
        const initial = {{summary}};
        function cell(text){const td=document.createElement('td');td.textContent=text;return td}
        function fill(id, rows){const body=document.getElementById(id);body.replaceChildren(...rows.map(r=>{
          const tr=document.createElement('tr');r.forEach(c=>tr.appendChild(cell(c)));return tr}))}
        function bytes(n){if(n==null)return '?';const u=['B','KB','MB','GB','TB'];let i=0;
          while(n>=1024&&i<u.length-1){n/=1024;i++}return n.toFixed(i?1:0)+' '+u[i]}
        function draw(s){
          document.getElementById('server').textContent = s.server.data_directory + ' \\u00b7 up ' +
            s.server.uptime_seconds + ' s \\u00b7 ' + bytes(s.server.free_disk_bytes) + ' free';
          fill('topics', s.topics.map(t=>[t.name, t.partitions, t.records]));
          fill('groups', s.groups.map(g=>[g.name, g.state, g.members, g.lag==null?'':g.lag]));
        }
        draw(initial);
        if (window.EventSource) {
          const events = new EventSource('/v1/status/stream');
          events.addEventListener('status', e => draw(JSON.parse(e.data)));
        }
        </script></body></html>
        """
}
