import NIOCore

/// Snappy decompression, in Swift: the format is small enough that Sluice needs no library for it.
///
/// Kafka's snappy payloads come in two shapes, and both are accepted: snappy-java's framing (the Java client's and
/// kafka-python's: a 16-byte header starting `82 'SNAPPY' 00`, then blocks, each an int32 big-endian length and a
/// raw snappy block) and one raw snappy block (librdkafka's). A block states its decompressed length first, and it
/// is checked against the cap before anything is written, so a hostile length cannot make it allocate.
enum Snappy {
    static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    static let xerialHeaderSize = 16

    static func decompress(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws(DecompressionError)
        -> ByteBuffer
    {
        var output = ByteBufferAllocator().buffer(capacity: 0)
        guard input.count >= xerialHeaderSize, input.prefix(xerialMagic.count).elementsEqual(xerialMagic) else {
            try decodeBlock(input, into: &output, maxOutputBytes: maxOutputBytes)
            return output
        }
        var position = xerialHeaderSize
        while position < input.count {
            guard input.count - position >= 4 else { throw .corrupt("snappy block length cut short") }
            let length = input[position..<position + 4].reduce(0) { $0 << 8 | Int($1) }
            position += 4
            guard length <= input.count - position else {
                throw .corrupt("snappy block of \(length) bytes runs past the input")
            }
            try decodeBlock(
                UnsafeRawBufferPointer(rebasing: input[position..<position + length]), into: &output,
                maxOutputBytes: maxOutputBytes)
            position += length
        }
        return output
    }

    /// Decodes one raw snappy block, appending its bytes to `output`.
    static func decodeBlock(_ block: UnsafeRawBufferPointer, into output: inout ByteBuffer, maxOutputBytes: Int)
        throws(DecompressionError)
    {
        var position = 0
        // The preamble: the decompressed length as a little-endian base-128 varint (at most 32 bits).
        var length = 0
        var shift = 0
        while true {
            guard position < block.count, shift <= 28 else { throw .corrupt("snappy length preamble is malformed") }
            let byte = block[position]
            position += 1
            length |= Int(byte & 0x7F) << shift
            shift += 7
            if byte & 0x80 == 0 { break }
        }
        guard length <= maxOutputBytes - output.readableBytes else { throw .tooLarge(limit: maxOutputBytes) }
        if length == 0 {
            guard position == block.count else { throw .corrupt("snappy block has bytes past its end") }
            return
        }
        var failure: DecompressionError?
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { room in
            let out = UnsafeMutableRawBufferPointer(rebasing: room[0..<length])
            do throws(DecompressionError) {
                try decodeElements(block, from: position, into: out)
                return length
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
    }

    /// The literals and copies after the preamble, which must fill `out` exactly.
    private static func decodeElements(
        _ block: UnsafeRawBufferPointer, from start: Int,
        into out: UnsafeMutableRawBufferPointer
    ) throws(DecompressionError) {
        var position = start
        var written = 0
        /// The next `count` bytes as a little-endian integer.
        func littleEndian(_ count: Int) throws(DecompressionError) -> Int {
            guard block.count - position >= count else { throw .corrupt("snappy element cut short") }
            var value = 0
            for index in 0..<count { value |= Int(block[position + index]) << (8 * index) }
            position += count
            return value
        }
        while position < block.count {
            let tag = Int(block[position])
            position += 1
            switch tag & 0x03 {
            case 0:  // A literal: its length - 1 in the tag's upper six bits, or in the 1-4 bytes after it.
                var count = tag >> 2
                if count >= 60 { count = try littleEndian(count - 59) }
                count += 1
                guard count <= block.count - position else { throw .corrupt("snappy literal runs past the input") }
                guard count <= out.count - written else { throw .corrupt("snappy literal runs past the stated length") }
                out.baseAddress!.advanced(by: written)
                    .copyMemory(from: block.baseAddress!.advanced(by: position), byteCount: count)
                position += count
                written += count
            default:  // A copy of bytes already written: 1-, 2- or 4-byte offsets.
                let count: Int
                let offset: Int
                switch tag & 0x03 {
                case 1:
                    count = 4 + (tag >> 2) & 0x07
                    offset = (tag >> 5) << 8 | (try littleEndian(1))
                case 2:
                    count = 1 + tag >> 2
                    offset = try littleEndian(2)
                default:
                    count = 1 + tag >> 2
                    offset = try littleEndian(4)
                }
                guard offset > 0, offset <= written else { throw .corrupt("snappy copy from offset \(offset)") }
                guard count <= out.count - written else { throw .corrupt("snappy copy runs past the stated length") }
                // Byte by byte: a copy may overlap what it writes (offset 1 repeats one byte).
                for index in 0..<count { out[written + index] = out[written + index - offset] }
                written += count
            }
        }
        guard written == out.count else { throw .corrupt("snappy block holds \(written) of \(out.count) bytes") }
    }
}
