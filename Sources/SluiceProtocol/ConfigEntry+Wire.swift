import NIOCore
import SluiceCore

/// On the wire: `string key, nullable string value`.
extension ConfigEntry: WireCodable {
    static var minWireSize: Int { 4 }
    var wireSize: Int { WireSize.string(key) + WireSize.nullableString(value) }

    static func read(from buffer: inout ByteBuffer) throws(SluiceError) -> ConfigEntry {
        ConfigEntry(key: try buffer.readWireString(), value: try buffer.readNullableString())
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(key)
        buffer.writeNullableString(value)
    }
}
