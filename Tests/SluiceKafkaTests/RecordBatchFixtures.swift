import Foundation

/// RecordBatch v2 fixtures built by kafka-python 3.0.12 `DefaultRecordBatchBuilder` (generator below).
/// Each holds 3 records: offsets 0…2, timestamps 1700000000000 + 5·i,
/// keys "key-0", nil, "key-2", values ("value-i " × 20) for i = 0, 1 and nil for i = 2, headers [h=x, n=nil] on record 0.
enum RecordBatchFixtures {
    static let uncompressed = "AAAAAAAAAAAAAAGbAAAAAAI2v/8gAAAAAAACAAABi8/laAAAAAGLz+VoCv//////////////////AAAAA+YCAAAACmtleS0wwAJ2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgBAJoAngCbgHOAgAKAgHAAnZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSAAFgAUBAprZXktMgEA"
    static let gzip = "AAAAAAAAAAAAAAB7AAAAAAI3XyL1AAEAAAACAAABi8/laAAAAAGLz+VoCv//////////////////AAAAAx+LCAANFQdrAv97xsTAwMCVnVqpa3CAqSwxpzRV10BhsNIsTBlMFUx5jOeYGLiYGGHuNVQYrDSDGIMICzhwjRgZAFLX5ZJqAQAA"
    static let zstd = "AAAAAAAAAAAAAAB7AAAAAAKRzn+3AAQAAAACAAABi8/laAAAAAGLz+VoCv//////////////////AAAAAyi1L/1gagAFAgAUA+YCAAAACmtleS0wwAJ2YWx1ZS0wIAQCaAJ4Am4BzgIACgIBMQAWABQECmtleS0yAQAEAA9AAfI1M4RaGVWY"
    static let idempotent = "AAAAAAAAAAAAAAGbAAAAAAIFMvxfAAAAAAACAAABi8/laAAAAAGLz+VoCgAAAAAAAAPoAAAAAAAHAAAAA+YCAAAACmtleS0wwAJ2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgdmFsdWUtMCB2YWx1ZS0wIHZhbHVlLTAgBAJoAngCbgHOAgAKAgHAAnZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSB2YWx1ZS0xIHZhbHVlLTEgdmFsdWUtMSAAFgAUBAprZXktMgEA"

    /// Generator (python3, kafka-python 3.0.12 + zstandard):
    ///     b = DefaultRecordBatchBuilder(magic=2, compression_type=codec, is_transactional=False,
    ///         producer_id=pid, producer_epoch=epoch, base_sequence=seq, batch_size=1<<20)
    ///     b.append(offset=i, timestamp=1700000000000 + i*5, key=..., value=..., headers=...); b.build()
    /// with codec 0 / 1 (gzip) / 4 (zstd), and pid 1000, epoch 0, seq 7 for `idempotent`.

    /// `gzip -9` and `zstd -19` CLI output of "hello kafka " × 50 (600 bytes).
    static let gzipCLI = "H4sICBIVB2sCA3BsYWluLnR4dADLSM3JyVfITkzLTlTIGGWPsqnEBgDJ0dCBWAIAAA=="
    static let zstdCLI = "KLUv/WRYAZ0AAGBoZWxsbyBrYWZrYSABAElelSRewl/6"
    /// `head -c 200000 /dev/zero | gzip -9 -n`: 200,000 zeros.
    static let gzipZeros = "H4sIAAAAAAACA+3BMQEAAADCoPVPbQZ/oAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACA1wB7WOBcQA0DAA=="
    /// `head -c 2000000 /dev/zero | zstd -19`: 2,000,000 zeros in 82 bytes.
    static let zstdZeros = "KLUv/QRoTAAACAABAPz/ORACAgAQAAIAEAACABAAAgAQAAIAEAACABAAAgAQAAIAEAACABAAAgAQAAIAEAACABAAAgAQAAIAEAADJAQADsl01w=="

    static func bytes(_ base64: String) -> [UInt8] { Array(Data(base64Encoded: base64)!) }
}
