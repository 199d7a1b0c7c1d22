/// An optional property that is written as `null` when it is nil instead of being left out.
///
/// Synthesized `Encodable` skips nil optionals (`encodeIfPresent`), but our log lines must
/// carry every field of their index template, and API objects the same keys in every item,
/// so clients and mappings never have to guess a field from its absence. Marking the property
/// keeps the type's `Codable` synthesized instead of spelling out an `encode(to:)` that lists
/// every field and drifts when one is added.
///
/// Reading is unchanged: `null` and a missing key both give nil (see the
/// `KeyedDecodingContainer` overload below).
@propertyWrapper
public struct NullWhenNil<Wrapped> {
    public var wrappedValue: Wrapped?

    public init(wrappedValue: Wrapped?) {
        self.wrappedValue = wrappedValue
    }
}

extension NullWhenNil: Encodable where Wrapped: Encodable {
    /// `Optional`'s own encoding, which writes `null` for nil: the same output a hand-written
    /// `container.encode(optional, forKey:)` gives, dates and data included.
    public func encode(to encoder: any Encoder) throws {
        try self.wrappedValue.encode(to: encoder)
    }
}

extension NullWhenNil: Decodable where Wrapped: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init(wrappedValue: try Wrapped?(from: decoder))
    }
}

extension KeyedDecodingContainer {
    /// Synthesized `Decodable` asks for a non-optional wrapper with `decode`, which would fail on
    /// a missing key; this more specific overload is chosen instead and reads the key the way a
    /// plain optional property is read.
    public func decode<Wrapped: Decodable>(_ type: NullWhenNil<Wrapped>.Type, forKey key: Key) throws -> NullWhenNil<Wrapped> {
        NullWhenNil(wrappedValue: try self.decodeIfPresent(Wrapped.self, forKey: key))
    }
}

extension NullWhenNil: Equatable where Wrapped: Equatable {}
extension NullWhenNil: Hashable where Wrapped: Hashable {}
extension NullWhenNil: Sendable where Wrapped: Sendable {}
