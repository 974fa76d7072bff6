import NIOCore
import SluiceCore
import SluiceProtocol

/// Called once with a request's response or the error that ended it, on the connection's event loop.
typealias ResponseCompletion = @Sendable (Result<Response, SluiceError>) -> Void

/// A request on its way to the router: an encoded frame whose correlation id the router fills in.
struct OutgoingRequest: Sendable {
    /// A whole request frame, encoded with correlation id 0.
    var frame: ByteBuffer
    var apiKey: APIKey
    /// What to complete with once the frame is written, for a request the server does not answer (a produce with
    /// acks none); `nil` when a response is awaited.
    var resultOnceWritten: Response?
    var completion: ResponseCompletion
}

/// The requests of one connection still waiting for a response, by correlation id.
///
/// Hands out non-negative ids (-1 is the server's connection-level id), wrapping around and skipping ids in use.
struct PendingRequests {
    struct Entry {
        var apiKey: APIKey
        /// The request's version, which decides the layout of some responses (listGroups').
        var apiVersion: Int16 = 0
        var completion: ResponseCompletion
    }

    private var entries: [Int32: Entry] = [:]
    private var nextID: Int32

    init(firstID: Int32 = 0) {
        precondition(firstID >= 0, "correlation ids are non-negative")
        nextID = firstID
    }

    var count: Int { entries.count }

    /// Registers a request and returns its correlation id.
    mutating func add(_ apiKey: APIKey, version: Int16 = 0, _ completion: @escaping ResponseCompletion) -> Int32 {
        let id = unusedID()
        entries[id] = Entry(apiKey: apiKey, apiVersion: version, completion: completion)
        return id
    }

    /// An id no pending request uses, for a request that is not answered (so that an error response to it, which
    /// the server may still send, matches nothing).
    mutating func unusedID() -> Int32 {
        var id = nextID
        while entries[id] != nil { id = id == Int32.max ? 0 : id + 1 }
        nextID = id == Int32.max ? 0 : id + 1
        return id
    }

    mutating func remove(_ id: Int32) -> Entry? {
        entries.removeValue(forKey: id)
    }

    mutating func removeAll() -> [Entry] {
        defer { entries.removeAll() }
        return Array(entries.values)
    }
}

/// The client's pipeline handler: writes requests under fresh correlation ids and routes each response frame to the
/// request it answers, whatever order responses come in.
///
/// Everything runs on the channel's event loop. When the connection ends (closed by either side, a connection-level
/// error frame, an undecodable frame) every pending request fails with the reason, and so does every later request.
final class ResponseRouter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let socketPath: String
    private var context: ChannelHandlerContext?
    private var pending = PendingRequests()
    /// Set once the connection is over: why, for every request still pending or yet to come.
    private var failure: SluiceError?
    private var flushScheduled = false

    init(socketPath: String) {
        self.socketPath = socketPath
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        end(closedError())
        self.context = nil
    }

    /// Writes `request`, or fails it at once if the connection is over. Flushes once per event-loop tick, so
    /// requests enqueued together share one system call.
    func enqueue(_ request: OutgoingRequest) {
        guard failure == nil, let context, context.channel.isActive else {
            request.completion(.failure(failure ?? closedError()))
            return
        }
        var frame = request.frame
        if let result = request.resultOnceWritten {
            let promise = context.eventLoop.makePromise(of: Void.self)
            let socketPath = self.socketPath
            promise.futureResult.whenComplete { written in
                switch written {
                case .success: request.completion(.success(result))
                case .failure:
                    request.completion(
                        .failure(
                            SluiceError(
                                .connectionClosed,
                                "the connection to \(socketPath) closed before the request was written")))
                }
            }
            frame.setInteger(pending.unusedID(), at: frame.readerIndex + 8, endianness: .big)
            context.write(wrapOutboundOut(frame), promise: promise)
        } else {
            // The version sits after the length prefix and the API key.
            let version = frame.getInteger(at: frame.readerIndex + 6, endianness: .big, as: Int16.self) ?? 0
            let id = pending.add(request.apiKey, version: version, request.completion)
            // The correlation id sits after the length prefix, the API key and the version.
            frame.setInteger(id, at: frame.readerIndex + 8, endianness: .big)
            context.write(wrapOutboundOut(frame), promise: nil)
        }
        scheduleFlush(context)
    }

    private func scheduleFlush(_ context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = bound.value
            handler.flushScheduled = false
            context.flush()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame: ResponseFrame
        do throws(SluiceError) {
            frame = try ResponseFrame.decode(from: unwrapInboundIn(data))
        } catch {
            end(error, context: context)
            return
        }
        if frame.correlationID == Response.connectionErrorCorrelationID {
            end(frame.error ?? SluiceError(.unknown, "the server ended the connection"), context: context)
            return
        }
        // A response nobody waits for (e.g. a top-level error to a produce with acks none) is ignored.
        guard let entry = pending.remove(frame.correlationID) else { return }
        let result: Result<Response, SluiceError>
        do throws(SluiceError) {
            result = .success(try frame.response(to: entry.apiKey, version: entry.apiVersion))
        } catch {
            result = .failure(error)
        }
        entry.completion(result)
    }

    func channelInactive(context: ChannelHandlerContext) {
        end(closedError())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let reason =
            (error as? SluiceError)
            ?? SluiceError(.connectionClosed, "the connection to \(socketPath) failed: \(error)")
        end(reason, context: context)
    }

    private func closedError() -> SluiceError {
        SluiceError(.connectionClosed, "the connection to \(socketPath) was closed")
    }

    /// Ends the connection: records why, fails everything pending, closes the channel.
    private func end(_ reason: SluiceError, context: ChannelHandlerContext? = nil) {
        if failure == nil { failure = reason }
        let reason = failure ?? reason
        for entry in pending.removeAll() { entry.completion(.failure(reason)) }
        context?.close(promise: nil)
    }
}
