import Hummingbird
import OrcastraRuntime

/// Authentik's list pagination: `page` and `page_size` in the query, the answer
/// `{"pagination": {...}, "results": [...]}`.
///
/// Shape from Authentik's `authentik/api/pagination.py` (`Pagination.get_paginated_response`:
/// `next`/`previous` are page numbers, 0 when there is none; `start_index`/`end_index` are
/// 1-based, both 0 for an empty list) on Django REST framework's `PageNumberPagination`
/// (a bad `page` is 404 "Invalid page.", a bad `page_size` falls back to the default). The
/// default page size is Authentik's `REST_FRAMEWORK["PAGE_SIZE"]`, 100.
struct Pagination: Codable, Equatable {
    var next: Int
    var previous: Int
    var count: Int
    var current: Int
    var totalPages: Int
    var startIndex: Int
    var endIndex: Int

    static let defaultPageSize = 100

    enum CodingKeys: String, CodingKey {
        case next, previous, count, current
        case totalPages = "total_pages"
        case startIndex = "start_index"
        case endIndex = "end_index"
    }
}

/// One page of a list.
struct Page<Item: Encodable>: Encodable {
    var pagination: Pagination
    var results: [Item]
}

enum Paginator {
    /// The page `request` asks for out of `items`, or nil when that page does not exist.
    static func page<Item>(of items: [Item], request: Request) -> (Pagination, [Item])? {
        let query = FormFields(query: request)
        var size = Pagination.defaultPageSize
        if let raw = query["page_size"], let requested = Int(raw), requested > 0 { size = requested }
        let totalPages = max(1, (items.count + size - 1) / size)
        let number: Int
        switch query["page"] {
        case nil: number = 1
        case "last": number = totalPages
        case let raw?:
            guard let parsed = Int(raw), (1...totalPages).contains(parsed) else { return nil }
            number = parsed
        }
        let start = (number - 1) * size
        let slice = Array(items[min(start, items.count)..<min(start + size, items.count)])
        let pagination = Pagination(
            next: number < totalPages ? number + 1 : 0,
            previous: number > 1 ? number - 1 : 0,
            count: items.count,
            current: number,
            totalPages: totalPages,
            startIndex: items.isEmpty ? 0 : start + 1,
            endIndex: items.isEmpty ? 0 : start + slice.count
        )
        return (pagination, slice)
    }

    /// The 404 Django REST framework answers for a page out of range.
    static func invalidPage(context: AppRequestContext) throws -> Response {
        context.state.error = "not_found: Invalid page."
        return try JSONResponse.encode(["detail": "Invalid page."], status: .notFound)
    }
}
