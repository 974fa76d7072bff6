import Foundation

/// RecordBatch v2 fixtures built by kafka-python 3.0.12 `DefaultRecordBatchBuilder` (generator below).
/// Each holds 3 records: offsets 0…2, timestamps 1700000000000 + 5·i,
/// keys "key-0", nil, "key-2", values ("value-i " × 20) for i = 0, 1 and nil for i = 2, headers [h=x, n=nil] on record 0.
enum RecordBatchFixtures {
    static let uncompressed =
        "AAAAAAAAAAAAAAGbAAAAAAI2v/8gAAAAAAACAAABi8/laAAAAAGLz+VoCv//////////////////AAAAA+YCAAAACmtleS0wwAJ2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgBAJoAngCbgHOAgAKAgHAAnZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSAAFgAUBAprZXktMgEA"
    static let gzip =
        "AAAAAAAAAAAAAAB7AAAAAAI3XyL1AAEAAAACAAABi8/laAAAAAGLz+VoCv//////////////////AAAAAx+LCAANFQdrAv97xsTAwMCVnVqpa3CAqSwxpzRV10BhsNIsTBlMFUx5jOeYGLiYGGHuNVQYrDSDGIMICzhwjRgZAFLX5ZJqAQAA"
    static let zstd =
        "AAAAAAAAAAAAAAB7AAAAAAKRzn+3AAQAAAACAAABi8/laAAAAAGLz+VoCv//////////////////AAAAAyi1L/1gagAFAgAUA+YCAAAACmtleS0wwAJ2YWx1ZS0wIAQCaAJ4Am4BzgIACgIBMQAWABQECmtleS0yAQAEAA9AAfI1M4RaGVWY"
    static let idempotent =
        "AAAAAAAAAAAAAAGbAAAAAAIFMvxfAAAAAAACAAABi8/laAAAAAGLz+VoCgAAAAAAAAPoAAAAAAAHAAAAA+YCAAAACmtleS0wwAJ2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgBAJoAngCbgHOAgAKAgHAAnZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSAAFgAUBAprZXktMgEA"

    /// Generator (python3, kafka-python 3.0.12 + zstandard):
    ///     b = DefaultRecordBatchBuilder(magic=2, compression_type=codec, is_transactional=False,
    ///         producer_id=pid, producer_epoch=epoch, base_sequence=seq, batch_size=1<<20)
    ///     b.append(offset=i, timestamp=1700000000000 + i*5, key=..., value=..., headers=...); b.build()
    /// with codec 0 / 1 (gzip) / 4 (zstd), and pid 1000, epoch 0, seq 7 for `idempotent`.

    /// `gzip -9` and `zstd -19` CLI output of "hello kafka " × 50 (600 bytes).
    static let gzipCLI = "H4sICBIVB2sCA3BsYWluLnR4dADLSM3JyVfITkzLTlTIGGWPsqnEBgDJ0dCBWAIAAA=="
    static let zstdCLI = "KLUv/WRYAZ0AAGBoZWxsbyBrYWZrYSABAElelSRewl/6"
    /// `head -c 200000 /dev/zero | gzip -9 -n`: 200,000 zeros.
    static let gzipZeros =
        "H4sIAAAAAAACA+3BMQEAAADCoPVPbQZ/oAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACA1wB7WOBcQA0DAA=="
    /// `head -c 2000000 /dev/zero | zstd -19`: 2,000,000 zeros in 82 bytes.
    static let zstdZeros =
        "KLUv/QRoTAAACAABAPz/ORACAgAQAAIAEAACABAAAgAQAAIAEAACABAAAgAQAAIAEAACABAAAgAQAAIAEAACABAAAgAQAAIAEAADJAQADsl01w=="

    /// `uncompressed` with its records compressed by snappy (snappy-java's framing, blocks of 200 bytes, as
    /// kafka-python sends), as one raw snappy block (as librdkafka sends), and by `lz4 -9` (frame format); batch
    /// length, attributes and CRC adjusted (made with python-cramjam and the lz4 CLI).
    static let snappy =
        "AAAAAAAAAAAAAACoAAAAAAI4a04uAAIAAAACAAABi8/laAAAAAGLz+VoCv//////////////////AAAAA4JTTkFQUFkAAAAAAQAAAAEAAAA9yAFQ5gIAAAAKa2V5LTDAAnZhbHVlLTAg/ggA/ggAXggAaAQCaAJ4Am4BzgIACgIBwAJ2YWx1ZS0xIHZhbAAAACKiARx1ZS0xIHZhbP4IAP4IADIIADAAFgAUBAprZXktMgEA"
    static let snappyRaw =
        "AAAAAAAAAAAAAAB+AAAAAAJYm5AxAAIAAAACAAABi8/laAAAAAGLz+VoCv//////////////////AAAAA+oCUOYCAAAACmtleS0wwAJ2YWx1ZS0wIP4IAP4IAF4IADQEAmgCeAJuAc4CAAoCARGwADENsP4IAP4IAEYIADAAFgAUBAprZXktMgEA"
    static let lz4 =
        "AAAAAAAAAAAAAACDAAAAAAIyu2dXAAMAAAACAAABi8/laAAAAAGLz+VoCv//////////////////AAAAAwQiTRhkQKc/AAAA/wbmAgAAAAprZXktMMACdmFsdWUtMCAIAIXkBAJoAngCbgHOAgAKAgGwAC8xIAgAhdAAFgAUBAprZXktMgEAAAAAALrK2cI="
    /// "hello kafka " × 50 through `lz4 -c`, snappy-java framing (blocks of 256 bytes) and one raw snappy block.
    static let lz4CLI = "BCJNGGRApxgAAADPaGVsbG8ga2Fma2EgDAD//zZQYWZrYSAAAAAA8asS0w=="
    static let snappyXerial =
        "glNOQVBQWQAAAAABAAAAAQAAABuAAixoZWxsbyBrYWZrYSD+DAD+DAD+DADODAAAAAAbgAIsbyBrYWZrYSBoZWxs/gwA/gwA/gwAzgwAAAAAFFgsZmthIGhlbGxvIGth/gwALgwA"
    static let snappyBlock = "2AQsaGVsbG8ga2Fma2Eg/gwA/gwA/gwA/gwA/gwA/gwA/gwA/gwA/gwALgwA"
    /// `head -c 200000 /dev/zero | lz4 -9`: 200,000 zeros.
    static let lz4Zeros =
        "BCJNGGRQCBsDAAAfAAEA/////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////zdQAAAAAAAAAAAAaDyw3A=="

    static func bytes(_ base64: String) -> [UInt8] { Array(Data(base64Encoded: base64)!) }
}
