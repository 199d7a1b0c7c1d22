import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import OrcastraModels
import OrcastraRuntime

/// The identity provider's directory as the sync reads it: every user and every group from
/// Authentik's core API (`GET /api/v3/core/users/`, `GET /api/v3/core/groups/`), page by page
/// as its pagination says (`pagination.next`, 0 after the last page), with a bearer API token.
/// Field names are those of Authentik's `UserSerializer` and `GroupSerializer`.
struct AuthentikDirectory: Sendable {
    let settings: UserSyncSettings
    let http: HTTPClient
    /// The deadline of one page.
    var timeout: TimeAmount = .seconds(10)

    /// A user of the directory: `uid` is the subject Authentik's default ("hashed user id")
    /// puts in tokens, so it is how a directory user and a token's user are the same person.
    struct User: Decodable, Sendable {
        var pk: Int
        var username: String
        var name: String
        var email: String?
        var isActive: Bool
        var uid: String
        /// Group pks.
        var groups: [String]

        enum CodingKeys: String, CodingKey {
            case pk, username, name, email, uid, groups
            case isActive = "is_active"
        }
    }

    struct Group: Decodable, Sendable {
        var pk: String
        var name: String
    }

    struct Page<Item: Decodable & Sendable>: Decodable, Sendable {
        var pagination: Pagination
        var results: [Item]

        struct Pagination: Decodable, Sendable {
            var next: Int
        }
    }

    /// Every user, with their groups' names in place of pks (from the group list).
    func users() async throws -> [(user: User, groups: [String])] {
        let groups: [Group] = try await self.all("core/groups/", query: "include_users=false")
        let names = Dictionary(groups.map { ($0.pk, $0.name) }) { first, _ in first }
        let users: [User] = try await self.all("core/users/", query: "")
        return users.map { ($0, $0.groups.compactMap { names[$0] }) }
    }

    /// Every item of a paginated list, 100 per page, at most 1,000 pages.
    private func all<Item: Decodable & Sendable>(_ path: String, query: String) async throws -> [Item] {
        var items: [Item] = []
        var page = 1
        for _ in 0..<1000 {
            let answer: Page<Item> = try await self.get("\(self.settings.apiURL)/api/v3/\(path)?page=\(page)&page_size=100" + (query.isEmpty ? "" : "&" + query))
            items += answer.results
            guard answer.pagination.next > page else { return items }
            page = answer.pagination.next
        }
        throw DirectoryError("the provider's \(path) list has more than 1,000 pages")
    }

    private func get<M: Decodable>(_ url: String) async throws -> M {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(self.settings.token)")
        request.headers.add(name: "Accept", value: "application/json")
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await self.http.execute(request, timeout: self.timeout)
            body = try await response.body.collect(upTo: 16 << 20)
        } catch {
            throw DirectoryError("the provider's API at \(self.settings.apiURL) did not answer: \(error)")
        }
        guard response.status == .ok else {
            throw DirectoryError("the provider's API answered \(response.status.code) for \(url.dropFirst(self.settings.apiURL.count).prefix { $0 != "?" })"
                                 + (response.status.code == 403 ? " (is AUTHENTIK_API_TOKEN valid and allowed to read users and groups?)" : ""))
        }
        do {
            return try JSONDecoder().decode(M.self, from: body)
        } catch {
            throw DirectoryError("the provider's answer to \(url.dropFirst(self.settings.apiURL.count).prefix { $0 != "?" }) was not understood: \(error)")
        }
    }

    /// Why the directory could not be read; the sync then changes nothing.
    struct DirectoryError: Error, CustomStringConvertible, APIErrorConvertible {
        var description: String
        init(_ description: String) { self.description = description }
        var apiError: APIError { APIError(.badGateway, code: "directory_unavailable", message: self.description) }
    }
}
