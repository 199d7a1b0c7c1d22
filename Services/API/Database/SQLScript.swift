import Foundation

/// Splits a migration file into single statements.
///
/// postgres-nio speaks only the extended query protocol, which takes one statement at a time,
/// so the file is cut at semicolons that are not inside quotes, dollar-quoted bodies
/// (`$$ … $$`, `$fn$ … $fn$`) or comments.
enum SQLScript {
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current: [Character] = []
        let chars = Array(sql)
        var i = 0

        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty, !Self.isOnlyComments(text) { statements.append(text) }
            current.removeAll()
        }

        while i < chars.count {
            let c = chars[i]
            let next: Character? = i + 1 < chars.count ? chars[i + 1] : nil
            if c == "-" && next == "-" {
                while i < chars.count && chars[i] != "\n" { current.append(chars[i]); i += 1 }
                continue
            }
            if c == "/" && next == "*" {
                current.append(contentsOf: "/*"); i += 2
                while i < chars.count && !(chars[i] == "*" && i + 1 < chars.count && chars[i + 1] == "/") { current.append(chars[i]); i += 1 }
                if i < chars.count { current.append(contentsOf: "*/"); i += 2 }
                continue
            }
            if c == "'" || c == "\"" {
                current.append(c); i += 1
                while i < chars.count {
                    current.append(chars[i])
                    if chars[i] == c {
                        if i + 1 < chars.count && chars[i + 1] == c { current.append(c); i += 2; continue }
                        i += 1
                        break
                    }
                    i += 1
                }
                continue
            }
            if c == "$", let tag = Self.dollarTag(chars, at: i) {
                current.append(contentsOf: tag); i += tag.count
                while i < chars.count && !Self.matches(chars, at: i, tag) { current.append(chars[i]); i += 1 }
                if i < chars.count { current.append(contentsOf: tag); i += tag.count }
                continue
            }
            if c == ";" {
                flush(); i += 1
                continue
            }
            current.append(c); i += 1
        }
        flush()
        return statements
    }

    /// `$$` or `$tag$` starting at `i`, if any.
    private static func dollarTag(_ chars: [Character], at i: Int) -> [Character]? {
        var j = i + 1
        while j < chars.count, chars[j] == "_" || chars[j].isLetter || (j > i + 1 && chars[j].isNumber) { j += 1 }
        guard j < chars.count, chars[j] == "$" else { return nil }
        return Array(chars[i...j])
    }

    private static func matches(_ chars: [Character], at i: Int, _ tag: [Character]) -> Bool {
        i + tag.count <= chars.count && Array(chars[i..<(i + tag.count)]) == tag
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }
    }
}
