import Foundation

/// Lower-case hexadecimal, the one spelling every digest, fingerprint and key id in the product
/// uses. Written out byte by byte rather than with `String(format:)`, which costs a formatter
/// per byte and showed up in profiles where it ran per request.
public enum Hex {
    static let digits = Array("0123456789abcdef".utf8)

    /// `bytes` as lower-case hex, with `separator` between bytes (`:` for certificate serials).
    public static func encode(_ bytes: some Sequence<UInt8>, separator: UInt8? = nil) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 3)
        for byte in bytes {
            if let separator, !text.isEmpty { text.append(separator) }
            text.append(Self.digits[Int(byte >> 4)])
            text.append(Self.digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// `prefix` followed by the hex of `bytes`, built in one buffer (Redis keys).
    public static func encode(_ bytes: some Sequence<UInt8>, after prefix: String) -> String {
        var text = Array(prefix.utf8)
        text.reserveCapacity(text.count + bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(Self.digits[Int(byte >> 4)])
            text.append(Self.digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes of an even-length hex string (either case), or nil when it is not one.
    public static func decode(_ text: String) -> Data? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes = Data(capacity: utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let high = Self.value(utf8[i]), let low = Self.value(utf8[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
            i += 2
        }
        return bytes
    }

    static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
