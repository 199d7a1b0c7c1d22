import Foundation
import HTTPTypes

/// Request ids tie one click's lines together across the gateway and the API.
///
/// A client-sent `X-Request-ID` is kept when it is a plausible id (letters, digits, `-`, `_`,
/// `.`, `:`, at most 128 characters), so log injection and huge headers cannot pass through;
/// otherwise a fresh UUID is made.
public enum RequestID {
    public static let header = HTTPField.Name("X-Request-ID")!

    public static func sanitised(_ raw: String?) -> String? {
        guard let raw, !raw.isEmpty, raw.utf8.count <= 128 else { return nil }
        let allowed = raw.unicodeScalars.allSatisfy { s in
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || "-_.:".unicodeScalars.contains(s))
        }
        return allowed ? raw : nil
    }

    public static func resolve(_ raw: String?) -> String {
        sanitised(raw) ?? UUID().uuidString.lowercased()
    }
}
