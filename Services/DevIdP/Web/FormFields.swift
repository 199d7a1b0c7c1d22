import Hummingbird
import HTTPTypes

/// Fields of an `application/x-www-form-urlencoded` body or of a query string.
///
/// OAuth clients encode spaces as `+` (browsers' URLSearchParams does), which Hummingbird's
/// `queryParameters` leaves as is; `scope=openid+profile` must read as two scopes, so both
/// query strings and bodies go through this one decoder.
struct FormFields: Sendable {
    private var pairs: [(name: String, value: String)]

    init(urlEncoded text: String) {
        self.pairs = text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            return (name, value)
        }
    }

    /// The query string of `request`.
    init(query request: Request) {
        self.init(urlEncoded: request.uri.query ?? "")
    }

    /// The body of `request` when it is form-encoded, otherwise no fields, as Django would
    /// read it. Forms here are a few hundred bytes; the cap keeps a client from making us
    /// buffer megabytes.
    static func body(of request: Request, limit: Int = 64 << 10) async throws -> FormFields {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else {
            return FormFields(urlEncoded: "")
        }
        let buffer = try await request.body.collect(upTo: limit)
        return FormFields(urlEncoded: String(decoding: buffer.readableBytesView, as: UTF8.self))
    }

    /// The first value of `name`; nil when absent or empty (OAuth treats an empty parameter
    /// as omitted).
    subscript(name: String) -> String? {
        guard let value = self.pairs.first(where: { $0.name == name })?.value, !value.isEmpty else { return nil }
        return value
    }

    /// Names that appear more than once; RFC 6749 §3.1 forbids repeating a parameter.
    var repeatedNames: [String] {
        var seen: Set<String> = []
        var repeated: [String] = []
        for pair in self.pairs where !seen.insert(pair.name).inserted && !repeated.contains(pair.name) {
            repeated.append(pair.name)
        }
        return repeated
    }

    /// `+` is a space, `%XX` a byte; malformed escapes are kept literally rather than failing
    /// the whole form.
    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                if iterator.count >= 2, let high = Self.hexValue(iterator[iterator.startIndex]),
                   let low = Self.hexValue(iterator[iterator.startIndex + 1]) {
                    bytes.append(high << 4 | low)
                    iterator = iterator.dropFirst(2)
                } else {
                    bytes.append(byte)
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters, for values we put
    /// into redirect URLs.
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if ("0"..."9").contains(scalar) || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                || "-._~".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: Swift.max(0, width - self.count)) + self
    }
}

/// A URL with extra query parameters appended, keeping any query it already has.
enum RedirectURL {
    static func appending(_ parameters: [(String, String?)], to base: String) -> String {
        let query = parameters.compactMap { name, value in value.map { "\(name)=\(FormFields.encode($0))" } }
        guard !query.isEmpty else { return base }
        return base + (base.contains("?") ? "&" : "?") + query.joined(separator: "&")
    }
}
