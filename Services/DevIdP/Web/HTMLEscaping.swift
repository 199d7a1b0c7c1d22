/// Escapes text for HTML element content and double- or single-quoted attribute values.
///
/// Everything a page shows that came from a request (client id, username, state, scopes)
/// passes through here; the five characters below are all that can end a text node or an
/// attribute value.
enum HTMLEscaping {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
