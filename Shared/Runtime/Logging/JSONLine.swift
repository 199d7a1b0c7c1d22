/// A JSON object written straight into bytes, for the lines written on every request, where
/// `JSONEncoder` (reflection, a dictionary per object, key sorting) was a measurable cost.
///
/// The caller writes keys in sorted order, so the output is what `LogSink.write(json:)` gives
/// (`sortedKeys`, slashes unescaped); `AccessLogLineTests` compares the two. Strings are
/// escaped as RFC 8259 §7 requires: quote, backslash and control characters; everything else
/// is copied as UTF-8.
public struct JSONLine {
    public private(set) var bytes: [UInt8] = []
    private var first = [true]

    public init(capacity: Int = 512) {
        self.bytes.reserveCapacity(capacity)
        self.bytes.append(UInt8(ascii: "{"))
    }

    /// The finished line.
    public mutating func finish() -> [UInt8] {
        self.bytes.append(UInt8(ascii: "}"))
        return self.bytes
    }

    public mutating func key(_ name: StaticString) {
        if self.first[self.first.count - 1] {
            self.first[self.first.count - 1] = false
        } else {
            self.bytes.append(UInt8(ascii: ","))
        }
        self.bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { self.bytes.append(contentsOf: $0) }
        self.bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    public mutating func string(_ name: StaticString, _ value: String?) {
        self.key(name)
        guard let value else { return self.null() }
        self.quoted(value)
    }

    public mutating func int(_ name: StaticString, _ value: Int) {
        self.key(name)
        self.bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func double(_ name: StaticString, _ value: Double) {
        self.key(name)
        guard value.isFinite else { return self.null() }
        // Whole numbers as integers, like JSONEncoder; otherwise the shortest round-tripping form.
        if value == value.rounded(), abs(value) < 1e15 {
            self.bytes.append(contentsOf: String(Int64(value)).utf8)
        } else {
            self.bytes.append(contentsOf: value.description.utf8)
        }
    }

    public mutating func bool(_ name: StaticString, _ value: Bool) {
        self.key(name)
        self.bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    public mutating func strings(_ name: StaticString, _ values: [String]) {
        self.key(name)
        self.bytes.append(UInt8(ascii: "["))
        for (i, value) in values.enumerated() {
            if i > 0 { self.bytes.append(UInt8(ascii: ",")) }
            self.quoted(value)
        }
        self.bytes.append(UInt8(ascii: "]"))
    }

    /// A nested object: `body` writes its (sorted) keys.
    public mutating func object(_ name: StaticString, _ body: (inout JSONLine) -> Void) {
        self.key(name)
        self.bytes.append(UInt8(ascii: "{"))
        self.first.append(true)
        body(&self)
        self.first.removeLast()
        self.bytes.append(UInt8(ascii: "}"))
    }

    private mutating func null() {
        self.bytes.append(contentsOf: "null".utf8)
    }

    private mutating func quoted(_ value: String) {
        self.bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20:
                self.bytes.append(contentsOf: "\\u00".utf8)
                self.bytes.append(Hex.digits[Int(byte >> 4)])
                self.bytes.append(Hex.digits[Int(byte & 0x0f)])
            default: self.bytes.append(byte)
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
    }
}
