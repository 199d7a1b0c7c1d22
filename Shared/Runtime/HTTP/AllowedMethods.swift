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

    /// The methods routes matching `path` answer, sorted; empty when none matches.
    public func methods(for path: String) -> [HTTPRequest.Method] {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        let matching = self.routes.withLock { routes in
            routes.filter { Self.matches($0.path, components) }.map(\.method)
        }
        let names = Set(matching.map { $0.rawValue }).sorted()
        return names.compactMap { HTTPRequest.Method($0) }
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
