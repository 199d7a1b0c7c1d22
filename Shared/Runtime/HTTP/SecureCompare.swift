import Crypto

/// Comparison of secrets (client secrets, API tokens, OAuth state) whose time does not depend
/// on where the inputs differ.
///
/// Both sides are hashed first so that the loop always runs over 32 bytes: neither the
/// position of the first difference nor the secret's length shows in the timing.
public enum SecureCompare {
    public static func equal(_ a: String, _ b: String) -> Bool {
        let left = Array(SHA256.hash(data: Array(a.utf8)))
        let right = Array(SHA256.hash(data: Array(b.utf8)))
        var difference: UInt8 = 0
        for (x, y) in zip(left, right) { difference |= x ^ y }
        return difference == 0
    }
}
