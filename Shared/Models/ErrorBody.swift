/// The one error shape every Orcastra endpoint answers with: `{"error":{"code":…,"message":…}}`.
///
/// Both services and every client (the dashboard's scripts, the CLI, tests) decode failures
/// through this type, so a change to the shape is a change in one place.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// The inner object: a stable snake_case code for programs and a sentence for people.
    public struct Detail: Codable, Sendable, Equatable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var error: Detail

    public init(code: String, message: String) {
        self.error = Detail(code: code, message: message)
    }
}
