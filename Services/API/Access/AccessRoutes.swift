import HTTPTypes
import Hummingbird
import OrcastraRuntime

/// Where the API's routes are added, each with what it needs (`Requirement`): open routes on
/// the group without authentication, every other one behind the authenticator and checked by
/// the `Authorizer` before its handler runs. Each route lands in the `AccessTable`.
struct AccessRoutes {
    let open: RouterGroup<AppRequestContext>
    let signedIn: RouterGroup<AppRequestContext>
    /// The groups' common prefix, for the table (`/api/v1`).
    let prefix: String
    let authorizer: Authorizer
    let table: AccessTable

    func on<Output: ResponseGenerator>(_ method: HTTPRequest.Method, _ path: String, _ requirement: Requirement,
                                       use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output) {
        self.table.add(.init(method: method, path: self.prefix + "/" + path, requirement: requirement))
        let authorizer = self.authorizer
        let group = if case .open = requirement { self.open } else { self.signedIn }
        group.on(RouterPath(path), method: method) { request, context in
            try await authorizer.check(requirement, request, context: context)
            return try await handler(request, context)
        }
    }

    func get<Output: ResponseGenerator>(_ path: String, _ requirement: Requirement,
                                        use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output) {
        self.on(.get, path, requirement, use: handler)
    }

    func post<Output: ResponseGenerator>(_ path: String, _ requirement: Requirement,
                                         use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output) {
        self.on(.post, path, requirement, use: handler)
    }

    func put<Output: ResponseGenerator>(_ path: String, _ requirement: Requirement,
                                        use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output) {
        self.on(.put, path, requirement, use: handler)
    }

    func patch<Output: ResponseGenerator>(_ path: String, _ requirement: Requirement,
                                          use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output) {
        self.on(.patch, path, requirement, use: handler)
    }

    func delete<Output: ResponseGenerator>(_ path: String, _ requirement: Requirement,
                                           use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output) {
        self.on(.delete, path, requirement, use: handler)
    }
}
