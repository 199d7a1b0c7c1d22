import HTTPTypes
import Synchronization

/// Request ids tie one click's lines together across the gateway and the API.
///
/// A client-sent `X-Request-ID` is kept when it is a plausible id (letters, digits, `-`, `_`,
/// `.`, `:`, at most 128 characters), so log injection and huge headers cannot pass through;
/// otherwise a fresh one is made (`fresh()`).
public enum RequestID {
    public static let header = HTTPField.Name("X-Request-ID")!

    public static func sanitised(_ raw: String?) -> String? {
        guard let raw, !raw.isEmpty, raw.utf8.count <= 128 else { return nil }
        // On bytes: every proxied request carries one, and Unicode property lookups per
        // character showed in the API's profile.
        let allowed = raw.utf8.allSatisfy { byte in
            let letter = byte | 0x20
            return (letter >= UInt8(ascii: "a") && letter <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        }
        return allowed ? raw : nil
    }

    public static func resolve(_ raw: String?) -> String {
        sanitised(raw) ?? fresh()
    }

    /// A new id, shaped like a UUID (8-4-4-4-12 lower-case hex): its first 64 bits are random
    /// once per process, its last 64 count, so ids are unique without a system call per
    /// request (Foundation's `UUID()` opened, read and closed `/dev/urandom` for every one).
    /// Request ids only correlate lines; nothing trusts them.
    public static func fresh() -> String {
        let count = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var at = 0
            func put(_ value: UInt64, nibbles: Int) {
                for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                    buffer[at] = Hex.digits[Int((value >> UInt64(shift)) & 0xF)]
                    at += 1
                }
            }
            func dash() {
                buffer[at] = UInt8(ascii: "-")
                at += 1
            }
            put(Self.processPrefix >> 32, nibbles: 8); dash()
            put(Self.processPrefix >> 16, nibbles: 4); dash()
            put(Self.processPrefix, nibbles: 4); dash()
            put(count >> 48, nibbles: 4); dash()
            put(count, nibbles: 12)
            return at
        }
    }

    private static let processPrefix = UInt64.random(in: .min ... .max)
    private static let counter = Atomic<UInt64>(UInt64.random(in: 0 ... (1 << 40)))
}
