import HTTPTypes
import Hummingbird
import Synchronization

/// The methods each route answers, so that a path the router knows, asked with a method it
/// does not take (`TRACE`, or `DELETE` where only `GET` exists), is answered 405 with an
/// `Allow` header (RFC 9110 §15.5.6) instead of a 404 that says the path does not exist.
///
/// `ErrorMiddleware` reads it when the router found nothing; the routes are loaded once they
/// are all registered (`load(from:)`), since the middleware is added before them.
public final class AllowedMethods: Sendable {
    private let routes = Mutex<[(path: [RouterPath.Element], method: HTTPRequest.Method)]>([])

    public init() {}

    /// Takes the router's routes as they are now; call after the last route is added.
    public func load(from router: Router<AppRequestContext>) {
        let table = router.routes.map { (path: Array($0.path), method: $0.method) }
        self.routes.withLock { $0 = table }
    }

    /// The methods routes matching `path` answer, sorted; empty when none matches. As the
    /// router does, a route with a fixed segment wins over one with a parameter there
    /// (`POST /users/sync` over `GET /users/:id`), so only the most specific routes count.
    public func methods(for path: String) -> [HTTPRequest.Method] {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        let matching = self.routes.withLock { routes in
            routes.filter { Self.matches($0.path, components) }
        }
        guard let best = matching.map({ Self.specificity($0.path) }).max(by: { $0.lexicographicallyPrecedes($1) }) else { return [] }
        let names = Set(matching.filter { Self.specificity($0.path) == best }.map { $0.method.rawValue }).sorted()
        return names.compactMap { HTTPRequest.Method($0) }
    }

    /// Per segment, how specific the pattern is there: fixed text, then a parameter, then
    /// `*`, then `**` (the order the router tries them in).
    static func specificity(_ pattern: [RouterPath.Element]) -> [Int] {
        pattern.map { element in
            let text = element.description
            if text == "**" { return 0 }
            if text == "*" { return 1 }
            if text.contains(":") || text.contains("{") { return 2 }
            return 3
        }
    }

    static func matches(_ pattern: [RouterPath.Element], _ components: [Substring]) -> Bool {
        for (index, element) in pattern.enumerated() {
            // `**` takes whatever is left, including nothing.
            if element.description == "**" { return true }
            guard index < components.count, element ~= components[index] else { return false }
        }
        return pattern.count == components.count
    }
}
