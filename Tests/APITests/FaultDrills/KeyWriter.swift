import Foundation

/// Changes made during a drill, to check afterwards that nothing was lost or half-written: once
/// a second the signed-in admin adds an SSH key (`POST /api/v1/me/keys`, a secret write and an
/// audit row) or removes the oldest one it holds, and keeps a ledger of what the product
/// acknowledged. After the drill the keys listed must be exactly the live ones of the ledger
/// (a refused add left nothing, a refused remove took nothing) and the audit trail must hold
/// one row per acknowledged change.
struct KeyWriter: Sendable {
    let client: DrillClient

    struct Ledger: Sendable {
        /// Ids of the keys that must exist.
        var live: [String] = []
        /// Changes answered 2xx; each must have its audit row.
        var acknowledged = 0
        /// Changes refused (their answers are checked by the load's rules, not here).
        var refused = 0
        /// Answers that were neither a success nor a 503/504 in the API's error shape.
        var unexpected: [String] = []
    }

    /// Runs for `duration`, starting from the keys in `ledger`.
    func run(for duration: Duration, from ledger: Ledger) async -> Ledger {
        var ledger = ledger
        let end = ContinuousClock.now + duration
        var turn = 0
        while ContinuousClock.now < end {
            let next = ContinuousClock.now + .seconds(1)
            turn += 1
            if turn % 2 == 1 || ledger.live.isEmpty {
                let answer = await self.client.call(.POST, "/api/v1/me/keys",
                                                    json: #"{"name":"drill-\#(turn)","public_key":"\#(UserKeyBoundsTests.ed25519())"}"#)
                if answer.status == 201, let id = (try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any])?["id"] as? String {
                    ledger.live.append(id.lowercased())
                    ledger.acknowledged += 1
                } else {
                    self.refused(answer, "POST", into: &ledger)
                }
            } else {
                let id = ledger.live[0]
                let answer = await self.client.call(.DELETE, "/api/v1/me/keys/\(id)")
                if answer.status == 204 {
                    ledger.live.removeFirst()
                    ledger.acknowledged += 1
                } else {
                    self.refused(answer, "DELETE", into: &ledger)
                }
            }
            try? await Task.sleep(until: next, clock: .continuous)
        }
        return ledger
    }

    private func refused(_ answer: DrillClient.Answer, _ method: String, into ledger: inout Ledger) {
        ledger.refused += 1
        let (shaped, _) = SteadyLoad.shape(answer, page: false)
        if !shaped || ![503, 504].contains(answer.status) {
            ledger.unexpected.append("\(method) /api/v1/me/keys: \(answer.status) \(answer.text.prefix(200))")
        }
    }

    /// The ids the product lists now (`GET /api/v1/me/keys`, all on one page).
    func listed() async throws -> Set<String> {
        let answer = await self.client.call(.GET, "/api/v1/me/keys?limit=500")
        guard answer.ok, let object = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
              let items = object["items"] as? [[String: Any]] else {
            throw DrillFailure("listing the keys after the drill: \(answer.status) \(answer.text.prefix(200))")
        }
        return Set(items.compactMap { ($0["id"] as? String)?.lowercased() })
    }
}

/// A drill could not be run or checked (not a finding about the product).
struct DrillFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
