import Foundation
import Hummingbird
import OrcastraModels

/// `?limit=` and `?cursor=` of a list endpoint, checked: every list answers at most `maxLimit`
/// items (`defaultLimit` when no limit is given), so no caller can make one answer as large as
/// the data behind it.
///
/// Pages are keyed, not counted: each list gives every item a sort key (unique within the
/// list), the items are put in key order, and the cursor is the key of the last item on the
/// page, so the next page starts right after it even when items were added or removed in
/// between. The cursor is opaque to callers: base64url of `k:` and the key.
public struct PageRequest: Sendable, Equatable {
    public var limit: Int
    /// The key of the last item already seen.
    public var after: String?

    public static let defaultLimit = 50
    public static let maxLimit = 500
    /// Longer cursors are not ones a list gave out.
    static let maxCursorLength = 2048

    public init(limit: Int = Self.defaultLimit, after: String? = nil) {
        self.limit = limit
        self.after = after
    }

    /// From the query; a bad value is a 400 naming the parameter.
    public init(query: Parameters) throws(APIError) {
        self.init(limit: try Self.limit(in: query))
        if let raw = query["cursor"].map(String.init) {
            guard let key = Self.decode(raw) else { throw Self.invalid("cursor", "must be the next_cursor of a page") }
            self.after = key
        }
    }

    /// `?limit=`, or `defaultLimit` without one (the audit log reads its limit here too).
    public static func limit(in query: Parameters) throws(APIError) -> Int {
        guard let raw = query["limit"].map(String.init) else { return Self.defaultLimit }
        guard let limit = Int(raw), (1...Self.maxLimit).contains(limit) else {
            throw Self.invalid("limit", "must be a whole number from 1 to \(Self.maxLimit)")
        }
        return limit
    }

    /// The page of `items` this request asks for, in the order of `key`.
    public func page<Item>(_ items: [Item], key: (Item) -> String) -> ListPage<Item> {
        let (page, next) = self.slice(items, key: key)
        return ListPage(items: page, nextCursor: next)
    }

    /// The items of the page and the cursor of the next one (nil on the last page).
    public func slice<Item>(_ items: [Item], key: (Item) -> String) -> ([Item], String?) {
        let keyed = items.map { (key($0), $0) }.sorted { $0.0 < $1.0 }
        let rest = self.after.map { after in keyed.drop { $0.0 <= after } } ?? keyed[...]
        let page = Array(rest.prefix(self.limit))
        let next = rest.count > self.limit ? page.last.map { Self.encode($0.0) } : nil
        return (page.map(\.1), next)
    }

    /// A key that sorts newest first for `date`, then by `tiebreak`.
    public static func newestFirst(_ date: Date, _ tiebreak: String) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        return String(format: "%020lld", Int64.max - micros) + "\u{0}" + tiebreak
    }

    static func encode(_ key: String) -> String {
        Base64URL.encode(("k:" + key).utf8)
    }

    /// Any base64url text whose bytes start with `k:` is a cursor: trailing bits that make no
    /// whole byte are dropped and bytes that are not UTF-8 are replaced, so every string the
    /// OpenAPI document allows (`^az[o-r][A-Za-z0-9_-]*$`, which is exactly the base64url
    /// texts starting with `k:`) is taken, and one that points nowhere just starts a page at
    /// its place in the key order.
    static func decode(_ cursor: String) -> String? {
        guard cursor.utf8.count <= Self.maxCursorLength else { return nil }
        var bytes: [UInt8] = []
        var bits: UInt32 = 0, count = 0
        for char in cursor.utf8 {
            guard let value = Self.sextet(char) else { return nil }
            bits = (bits << 6 | UInt32(value)) & 0xFFFF
            count += 6
            if count >= 8 {
                count -= 8
                bytes.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
            }
        }
        guard bytes.starts(with: [UInt8(ascii: "k"), UInt8(ascii: ":")]) else { return nil }
        return String(decoding: bytes.dropFirst(2), as: UTF8.self)
    }

    private static func sextet(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): char - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): char - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }

    static func invalid(_ name: String, _ reason: String) -> APIError {
        APIError(.badRequest, code: "invalid_parameter", message: "The query parameter \(name) \(reason).")
    }
}
