import Foundation
import OrcastraTestSupport
import Testing

@testable import OrcastraAPI

/// SSH keys made by the real `ssh-keygen`, parsed by us, fingerprints compared with its own.
@Suite("SSH public keys")
struct SSHPublicKeyTests {
    /// Generates a key with ssh-keygen and returns its public line and `ssh-keygen -l` output.
    static func generate(_ type: String, bits: Int?) async throws -> (line: String, listing: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("orc-ssh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let keygen = try Command.which("ssh-keygen")
        let file = dir.appendingPathComponent("key").path
        var args = ["-q", "-t", type, "-N", "", "-C", "alice@laptop", "-f", file]
        if let bits { args += ["-b", String(bits)] }
        let made = try await Command.run(keygen, args)
        guard made.status == 0 else { throw MissingService("ssh-keygen failed: \(made.error)") }
        let line = try String(contentsOfFile: file + ".pub", encoding: .utf8)
        return (line, try await Command.run(keygen, ["-l", "-f", file + ".pub"]).output)
    }

    @Test("accepted key types parse, with ssh-keygen's fingerprint and size", arguments: [
        ("ed25519", nil, 256), ("ecdsa", 256, 256), ("ecdsa", 384, 384), ("ecdsa", 521, 521), ("rsa", 2048, 2048), ("rsa", 3072, 3072),
    ] as [(String, Int?, Int)])
    func accepted(type: String, bits: Int?, expectedBits: Int) async throws {
        let (line, listing) = try await Self.generate(type, bits: bits)
        let key = try SSHPublicKey(parsing: line)
        #expect(key.bits == expectedBits)
        #expect(key.comment == "alice@laptop")
        // ssh-keygen -l: "<bits> SHA256:<fp> <comment> (<TYPE>)"
        #expect(listing.hasPrefix("\(expectedBits) \(key.fingerprint) alice@laptop"), "\(listing)")
        #expect(try SSHPublicKey(parsing: key.line) == key)
    }

    @Test("RSA under 2048 bits is refused, saying why")
    func shortRSA() async throws {
        let (line, _) = try await Self.generate("rsa", bits: 1024)
        #expect(throws: SSHKeyError.unsupported("RSA keys must have at least 2048 bits; this one has 1024")) { try SSHPublicKey(parsing: line) }
    }

    @Test("anything else is refused with a reason", arguments: [
        ("ssh-dss AAAAB3NzaC1kc3MAAACBAP== x", "key type 'ssh-dss' is not accepted"),
        ("ssh-ed25519", "expected '<type> <base64 key> [comment]'"),
        ("ssh-ed25519 not*base64", "the key is not valid base64"),
        // An Ed25519 label on RSA data.
        ("ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAAQC7", "the key data does not match its type 'ssh-ed25519'"),
        // Ed25519 with a 31-byte key.
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAHwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", "an Ed25519 key must be 32 bytes"),
    ])
    func refused(line: String, reason: String) {
        do {
            _ = try SSHPublicKey(parsing: line)
            Issue.record("accepted \(line)")
        } catch {
            #expect(error.description.hasPrefix(reason), "\(error.description)")
        }
    }
}
