import Foundation
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

/// The API's own response bodies write unset fields as `null`, like the shared DTOs.
@Suite("Response JSON")
struct ResponseJSONTests {
    static let notAfter = Date(timeIntervalSince1970: 1_700_000_000)

    static let examples: [JSONExample] = [
        JSONExample("SecretsStatus, no CA yet", SecretsStatus(backend: "vault", reachable: false, sealed: true, state: "sealed"),
            #"{"backend":"vault","ca_not_after":null,"ca_subject":null,"reachable":false,"sealed":true,"state":"sealed"}"#),
        JSONExample("SecretsStatus, with a CA", SecretsStatus(backend: "embedded", reachable: true, sealed: false, state: "active",
                                                               caSubject: "CN=Orcastra CA", caNotAfter: notAfter),
            #"{"backend":"embedded","ca_not_after":"2023-11-14T22:13:20Z","ca_subject":"CN=Orcastra CA","reachable":true,"sealed":false,"state":"active"}"#),
        JSONExample("CertificateInfo, valid", CertificateInfo(CertificateRecord(
            serial: "0a:1b", commonName: "web.orcastra.test", sans: ["web.orcastra.test", "10.0.0.10"], notAfter: notAfter,
            revokedAt: nil)),
            #"{"common_name":"web.orcastra.test","not_after":"2023-11-14T22:13:20Z","revoked_at":null,"sans":["web.orcastra.test","10.0.0.10"],"serial":"0a:1b"}"#),
        JSONExample("CertificateInfo, revoked", CertificateInfo(CertificateRecord(
            serial: "0a:1c", commonName: "db", sans: [], notAfter: notAfter, revokedAt: notAfter)),
            #"{"common_name":"db","not_after":"2023-11-14T22:13:20Z","revoked_at":"2023-11-14T22:13:20Z","sans":[],"serial":"0a:1c"}"#),
    ]

    @Test("every optional field is written, null when unset, and reads back with or without its nulls", arguments: Self.examples)
    func json(_ example: JSONExample) throws {
        #expect(try example.differences() == [])
    }
}
