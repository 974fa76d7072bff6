import SluiceCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The status page at `/`: rendered on the server, whole, from `HTTPStatusSummary`, so it reads without
/// JavaScript. While it is open a short script keeps it fresh from `/v1/status/stream?sections=1` (Server-Sent
/// Events carrying the same sections rendered again) and drives the record browser and the dead-letter redrive
/// through the JSON API. Nothing runs for the page when no page is open.
enum HTTPStatusPage {
    /// The page's sections that refresh, by element id, as HTML.
    static func sections(_ summary: HTTPStatusSummary) -> [String: String] {
        [
            "server": server(summary.server),
            "topics": topics(summary.topics),
            "groups": groups(summary.groups),
            "share-groups": shareGroups(summary.shareGroups),
            "dead-letters": deadLetters(summary.deadLetterTopics),
        ]
    }

    static func render(api: HTTPAPI, peer: PeerIdentity?, browse: HTTPRead? = nil, hex: Bool = false) async -> String {
        let summary = await HTTPStatusSummary.make(api: api, peer: peer)
        var html = page.replacing("{{version}}", with: escaped(summary.server.version))
        for (id, section) in sections(summary) { html = html.replacing("{{\(id)}}", with: section) }
        let topics = summary.topics.map { #"<option value="\#(escaped($0.name))">"# }.joined()
        var browser = Browser(hex: hex)
        if let browse {
            browser.topic = browse.topic
            browser.partition = browse.partition
            if case .offset(let offset) = browse.start { browser.offset = String(offset) }
            do throws(SluiceError) {
                let (out, _) = try await api.read(browse, peer: peer)
                browser.fill(out)
            } catch {
                browser.message = "\(error.code.name): \(error.message)"
            }
        }
        return
            html
            .replacing("{{topic-options}}", with: topics)
            .replacing("{{browse-topic}}", with: escaped(browser.topic))
            .replacing("{{browse-partition}}", with: String(browser.partition))
            .replacing("{{browse-offset}}", with: escaped(browser.offset))
            .replacing("{{browse-hex}}", with: hex ? " checked" : "")
            .replacing("{{redrive-hidden}}", with: browser.deadLetters ? "" : " hidden")
            .replacing("{{message}}", with: escaped(browser.message))
            .replacing("{{records}}", with: browser.rows)
            .replacing("{{more}}", with: browser.more)
    }

    /// The record browser as the server renders it (the page's script does the same in place).
    struct Browser {
        var hex: Bool
        var topic = ""
        var partition: Int32 = 0
        var offset = ""
        var message = ""
        var rows = ""
        var more = ""
        var deadLetters = false

        mutating func fill(_ out: HTTPJSON.ReadOut) {
            deadLetters = out.records.contains { $0.headers.contains { $0.name == HTTPRedrive.headerPrefix + "topic" } }
            for record in out.records {
                let pick =
                    deadLetters ? #"<input type="checkbox" value="\#(record.offset)" style="width:auto">"# : ""
                let headers = record.headers.map { "\(HTTPStatusPage.escaped($0.name)): \(shown($0.valueBase64))" }
                rows += HTTPStatusPage.row(
                    [
                        pick, "\(record.offset)", Self.time(record.timestamp), pre(shown(record.keyBase64)),
                        pre(shown(record.valueBase64)), pre(headers.joined(separator: "\n")),
                    ])
            }
            if out.records.isEmpty { more = "no records from offset \(out.nextOffset)" }
            if out.nextOffset < out.highWatermark {
                more =
                    #"<a href="/?topic=\#(percentEncoded(topic))&amp;partition=\#(partition)&amp;offset=\#(out.nextOffset)"#
                    + (hex ? "&amp;hex=on" : "") + #"">next from \#(out.nextOffset)</a>"#
            }
        }

        /// Bytes (given as base64) as text when they are UTF-8 and `hex` is off, else as hex.
        func shown(_ base64: String?) -> String {
            guard let base64, let data = Data(base64Encoded: base64) else { return "" }
            let bytes = Array(data)
            if !hex, let text = String(validating: bytes, as: UTF8.self) { return HTTPStatusPage.escaped(text) }
            return bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
                .joined(separator: " ")
        }

        func pre(_ html: String) -> String { "<pre>\(html)</pre>" }

        static func time(_ milliseconds: Int64) -> String {
            Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(
                Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }

        func percentEncoded(_ text: String) -> String {
            var out = ""
            for byte in text.utf8 {
                let plain =
                    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || [UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~")].contains(byte)
                out += plain ? String(UnicodeScalar(byte)) : "%" + String(byte, radix: 16, uppercase: true)
            }
            return out
        }
    }

    // MARK: - Sections

    static func server(_ server: HTTPStatusSummary.Server) -> String {
        let connections = ["native", "kafka", "http"].compactMap { name in
            server.connections[name].map { "\($0) \(name)" }
        }
        return [
            "data in \(escaped(server.dataDirectory)): \(bytes(server.dataDirectoryBytes))",
            "\(server.freeDiskBytes.map(bytes) ?? "?") free",
            "up \(duration(server.uptimeSeconds * 1000))",
            "connections: " + (connections.isEmpty ? "none" : connections.joined(separator: ", ")),
        ].joined(separator: " · ")
    }

    static func topics(_ topics: [HTTPStatusSummary.Topic]) -> String {
        guard !topics.isEmpty else { return empty(7, "no topics") }
        return topics.map { topic in
            // The last whole minute's counts as per-second rates, and the current minute's counts so far.
            let produced = topic.producedPerMinute.dropLast().last ?? 0
            let fetched = topic.fetchedPerMinute.dropLast().last ?? 0
            let now = "\(topic.producedPerMinute.last ?? 0) / \(topic.fetchedPerMinute.last ?? 0)"
            return row([
                escaped(topic.name), "\(topic.partitions)", "\(topic.records)", bytes(topic.bytes),
                rate(produced) + " / " + rate(fetched), now,
                sparkline(topic.producedPerMinute, topic.fetchedPerMinute),
            ])
        }.joined()
    }

    static func groups(_ groups: [HTTPStatusSummary.Group]) -> String {
        guard !groups.isEmpty else { return empty(6, "no consumer groups") }
        return groups.map { group in
            var html = row([
                escaped(group.name), group.type, group.state, "\(group.members)", group.lag.map(String.init) ?? "",
                group.oldestUnconsumedAgeMs.map(duration) ?? "",
            ])
            for partition in group.partitions {
                html += row(
                    [
                        "\(escaped(partition.topic))[\(partition.partition)]",
                        "committed \(partition.committedOffset.map(String.init) ?? "none")",
                        "end \(partition.endOffset)", "", partition.lag.map(String.init) ?? "",
                        partition.oldestUnconsumedAgeMs.map(duration) ?? "",
                    ], class: "sub")
            }
            return html
        }.joined()
    }

    static func shareGroups(_ groups: [HTTPStatusSummary.ShareGroup]) -> String {
        guard !groups.isEmpty else { return empty(8, "no share groups") }
        return groups.map { group in
            var html = row([
                escaped(group.name), group.state, "\(group.members)", "\(group.acquired)", "\(group.available)",
                "\(group.delayed)", "\(group.deadLettered)", group.deadLetterTopic.map(escaped) ?? "",
            ])
            for partition in group.partitions {
                html += row(
                    [
                        "\(escaped(partition.topic))[\(partition.partition)]",
                        "from \(partition.startOffset) to \(partition.endOffset)", "", "\(partition.acquired)",
                        "\(partition.available)", "\(partition.delayed)", "\(partition.deadLettered)",
                        "\(partition.archived) archived",
                    ], class: "sub")
            }
            return html
        }.joined()
    }

    static func deadLetters(_ topics: [HTTPStatusSummary.DeadLetterTopic]) -> String {
        guard !topics.isEmpty else { return empty(4, "no dead-letter topics") }
        return topics.map { topic in
            row([
                escaped(topic.name), "\(topic.records)", topic.groups.map(escaped).joined(separator: ", "),
                #"<button type="button" data-browse="\#(escaped(topic.name))">browse</button>"#,
            ])
        }.joined()
    }

    // MARK: - Pieces

    static func row(_ cells: [String], class name: String? = nil) -> String {
        "<tr\(name.map { " class=\"\($0)\"" } ?? "")>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>"
    }

    static func empty(_ columns: Int, _ text: String) -> String {
        #"<tr><td colspan="\#(columns)" class="muted">\#(text)</td></tr>"#
    }

    /// Two lines over the last hour, produced (blue) and fetched (green), scaled to the larger's peak.
    static func sparkline(_ produced: [Int64], _ fetched: [Int64]) -> String {
        let peak = max(produced.max() ?? 0, fetched.max() ?? 0, 1)
        func points(_ series: [Int64]) -> String {
            series.enumerated().map { index, value in
                "\(index * 2),\(20 - Int(value * 18 / peak))"
            }.joined(separator: " ")
        }
        return #"<svg class="spark" viewBox="0 0 120 22" width="120" height="22" role="img" "#
            + #"aria-label="records per minute over the last hour, peak \#(peak)">"#
            + ##"<polyline fill="none" stroke="#36c" points="\##(points(produced))"/>"##
            + ##"<polyline fill="none" stroke="#3a3" points="\##(points(fetched))"/></svg>"##
    }

    static func rate(_ perMinute: Int64) -> String {
        let perSecond = Double(perMinute) / 60
        return perSecond >= 10 || perSecond == 0
            ? "\(Int(perSecond.rounded()))/s" : "\((perSecond * 10).rounded() / 10)/s"
    }

    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : "\((value * 10).rounded() / 10) \(units[unit])"
    }

    static func duration(_ milliseconds: Int64) -> String {
        let seconds = milliseconds / 1000
        switch seconds {
        case ..<1: return "\(milliseconds) ms"
        case ..<120: return "\(seconds) s"
        case ..<7200: return "\(seconds / 60) min"
        case ..<172_800: return "\(seconds / 3600) h"
        default: return "\(seconds / 86400) d"
        }
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

    /// The page: no external assets, readable on a phone.
    static let page = #"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Sluice</title>
        <style>
        body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;max-width:72em;padding:1em;color:#222}
        h1{font-size:1.4em;margin:.2em 0} h2{font-size:1.1em;margin-top:1.4em}
        .wide{overflow-x:auto} table{border-collapse:collapse;width:100%}
        th,td{text-align:left;padding:.25em .5em;border-bottom:1px solid #ddd;white-space:nowrap}
        tr.sub td{color:#555;font-size:.9em;border-bottom:1px dotted #eee} tr.sub td:first-child{padding-left:1.5em}
        .muted{color:#777} .spark{vertical-align:middle} .legend i{font-style:normal;padding:0 .3em}
        form{display:flex;flex-wrap:wrap;gap:.5em;align-items:center;margin:.5em 0}
        input{width:7em} input[name=topic]{width:12em} pre{margin:0;white-space:pre-wrap;word-break:break-all}
        #records td{white-space:normal;vertical-align:top} #message{color:#a22}
        </style></head><body>
        <h1>Sluice <span class="muted">{{version}}</span></h1>
        <p id="server" class="muted">{{server}}</p>
        <h2>Topics</h2>
        <div class="wide"><table><thead><tr><th>topic</th><th>partitions</th><th>records</th><th>size</th>
        <th>produced / fetched, last minute</th><th>this minute</th><th class="legend">last hour <i style="color:#36c">produced</i><i
        style="color:#3a3">fetched</i></th></tr></thead><tbody id="topics">{{topics}}</tbody></table></div>
        <h2>Consumer groups</h2>
        <div class="wide"><table><thead><tr><th>group</th><th>type</th><th>state</th><th>members</th><th>lag</th>
        <th>oldest unconsumed</th></tr></thead><tbody id="groups">{{groups}}</tbody></table></div>
        <h2>Share groups</h2>
        <div class="wide"><table><thead><tr><th>group</th><th>state</th><th>members</th><th>in flight</th>
        <th>available</th><th>delayed</th><th>dead letters</th><th>dead-letter topic</th></tr></thead>
        <tbody id="share-groups">{{share-groups}}</tbody></table></div>
        <h2>Dead-letter topics</h2>
        <div class="wide"><table><thead><tr><th>topic</th><th>records</th><th>groups</th><th></th></tr></thead>
        <tbody id="dead-letters">{{dead-letters}}</tbody></table></div>
        <h2 id="browser">Records</h2>
        <form id="browse" method="get" action="/#browser">
        <input name="topic" list="topic-names" placeholder="topic" required value="{{browse-topic}}">
        <datalist id="topic-names">{{topic-options}}</datalist>
        <label>partition <input name="partition" type="number" min="0" value="{{browse-partition}}"></label>
        <label>offset <input name="offset" placeholder="earliest" value="{{browse-offset}}"></label>
        <label><input name="hex" type="checkbox" style="width:auto"{{browse-hex}}> hex</label>
        <button>read</button><button type="button" id="redrive"{{redrive-hidden}}>redrive selected</button></form>
        <p id="message">{{message}}</p>
        <div class="wide"><table><thead><tr><th></th><th>offset</th><th>time</th><th>key</th><th>value</th>
        <th>headers</th></tr></thead><tbody id="records">{{records}}</tbody></table></div>
        <p id="more">{{more}}</p>
        <script>
        const $ = id => document.getElementById(id);
        const form = $('browse');
        let shown = form.topic.value ? {topic: form.topic.value, partition: Number(form.partition.value || 0)} : null;
        function bytesOf(b64) { if (b64 == null) return null; const s = atob(b64);
          return Uint8Array.from(s, c => c.charCodeAt(0)); }
        function show(b64, hex) { const b = bytesOf(b64); if (b == null) return '';
          if (!hex) { try { return new TextDecoder('utf-8', {fatal: true}).decode(b); } catch (e) {} }
          return Array.from(b, x => x.toString(16).padStart(2, '0')).join(' '); }
        function cell(tr, text) { const td = document.createElement('td'); const pre = document.createElement('pre');
          pre.textContent = text; td.appendChild(pre); tr.appendChild(td); return td; }
        function say(text) { $('message').textContent = text || ''; }
        async function read(offset) {
          const f = new FormData(form), topic = f.get('topic'), partition = f.get('partition') || 0;
          const from = offset ?? (f.get('offset') || 'earliest');
          const url = '/v1/topics/' + encodeURIComponent(topic) + '/partitions/' + partition +
            '/records?limit=50&encoding=base64&offset=' + encodeURIComponent(from);
          const answer = await fetch(url), body = await answer.json();
          if (!answer.ok) { say(body.error ? body.error.code + ': ' + body.error.message : answer.status); return; }
          say(''); shown = {topic, partition: Number(partition)};
          const hex = f.get('hex') != null, rows = $('records');
          rows.replaceChildren();
          const dlq = body.records.some(r => r.headers.some(h => h.name == 'sluice.dlq.topic'));
          $('redrive').hidden = !dlq;
          for (const r of body.records) {
            const tr = document.createElement('tr'), pick = document.createElement('td');
            if (dlq) { const box = document.createElement('input'); box.type = 'checkbox'; box.value = r.offset;
              box.style.width = 'auto'; pick.appendChild(box); }
            tr.appendChild(pick);
            cell(tr, r.offset); cell(tr, new Date(r.timestamp).toISOString());
            cell(tr, show(r.key_base64, hex)); cell(tr, show(r.value_base64, hex));
            cell(tr, r.headers.map(h => h.name + ': ' + show(h.value_base64, hex)).join('\n'));
            rows.appendChild(tr);
          }
          const more = $('more'); more.replaceChildren();
          if (body.next_offset < body.high_watermark) { const next = document.createElement('button');
            next.textContent = 'next from ' + body.next_offset; next.onclick = () => read(body.next_offset);
            more.appendChild(next); }
          if (!body.records.length) more.textContent = 'no records from offset ' + from;
        }
        form.addEventListener('submit', e => { e.preventDefault(); read(); });
        document.addEventListener('click', e => { const topic = e.target.dataset && e.target.dataset.browse;
          if (!topic) return; form.topic.value = topic; form.offset.value = ''; read(); $('browser').scrollIntoView(); });
        $('redrive').addEventListener('click', async () => {
          const offsets = Array.from(document.querySelectorAll('#records input:checked'), b => Number(b.value));
          if (!shown || !offsets.length) { say('choose records to send back first'); return; }
          const answer = await fetch('/v1/topics/' + encodeURIComponent(shown.topic) + '/redrive', {method: 'POST',
            body: JSON.stringify({partition: shown.partition, offsets})});
          const body = await answer.json();
          say(answer.ok ? 'sent back ' + body.redriven.length + ' record(s)' + (body.skipped.length ?
            ', skipped ' + body.skipped.length : '') : body.error.code + ': ' + body.error.message);
        });
        if (window.EventSource) {
          const events = new EventSource('/v1/status/stream?sections=1');
          events.addEventListener('sections', e => { const s = JSON.parse(e.data);
            for (const id in s) { const el = $(id); if (el) el.innerHTML = s[id]; }
            document.documentElement.dataset.live = 'updated'; });
        }
        document.documentElement.dataset.live = document.documentElement.dataset.live || 'ready';
        </script></body></html>
        """#
}
