import Foundation
import OrcastraModels
import Testing

/// What the wrapper does where the model examples do not reach: outside a keyed container,
/// and with values that are present but wrong.
@Suite("NullWhenNil")
struct NullWhenNilTests {
    @Test("in an array, nil is written and read as null")
    func unkeyed() throws {
        let values = [NullWhenNil<Int>(wrappedValue: nil), NullWhenNil(wrappedValue: 1)]
        let text = String(decoding: try JSONEncoder().encode(values), as: UTF8.self)
        #expect(text == "[null,1]")
        #expect(try JSONDecoder().decode([NullWhenNil<Int>].self, from: Data(text.utf8)) == values)
    }

    @Test("a value of the wrong type is still an error, not nil")
    func wrongType() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(AuditTarget.self, from: Data(#"{"id":5}"#.utf8))
        }
    }

    @Test("equal and hashed by the wrapped value")
    func hashable() {
        let set: Set = [NullWhenNil(wrappedValue: "a"), NullWhenNil(wrappedValue: "a"), NullWhenNil<String>(wrappedValue: nil)]
        #expect(set.count == 2)
        #expect(AuditTarget(id: "x") == AuditTarget(id: "x"))
        #expect(AuditTarget(id: "x") != AuditTarget())
    }
}
