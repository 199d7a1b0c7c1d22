import Foundation
import OrcastraRuntime

/// The rules for the names and descriptions people give organizations and projects: shown as
/// they are written, so any script is welcome, but nothing invisible or that breaks a line.
enum DisplayText {
    /// Trimmed; 1 to 100 characters (code points), none of them control characters.
    static func name(_ text: String) throws -> String {
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.unicodeScalars.count), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw APIError(.unprocessableContent, code: "invalid_name", message: "name must be 1 to 100 characters, without control characters")
        }
        return name
    }

    /// At most 500 characters (code points); line breaks and tabs are the only control
    /// characters kept.
    static func description(_ text: String) throws -> String {
        guard text.unicodeScalars.count <= 500,
              !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !["\n", "\t", "\r"].contains($0) }) else {
            throw APIError(.unprocessableContent, code: "invalid_description",
                           message: "description must be at most 500 characters, without control characters other than line breaks and tabs")
        }
        return text
    }
}
