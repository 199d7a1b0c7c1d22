import Foundation
import OrcastraTestSupport
import Testing

/// The boundaries the README's layout section draws, checked on the source itself so that they
/// stay true as features land: only the driver speaks LXD, feature folders depend on each other
/// one way, and nothing points at documents that are not in the repository.
@Suite("Architecture (read from the sources)")
struct ArchitectureTests {
    @Test("no LXD REST path, and no raw driver call, outside Services/API/Clusters/Driver")
    func lxdPathsOnlyInTheDriver() throws {
        let driver = "Services/API/Clusters/Driver/"
        let offenders = try SourceTree.swiftFiles(under: "Services").filter { !$0.path.hasPrefix(driver) }
            .flatMap { file in
                file.lines.enumerated()
                    .filter { $0.element.contains("\"/1.0") || $0.element.contains(/\.rest(Get|Send)\(/) }
                    .map { "\(file.path):\($0.offset + 1)" }
            }
        #expect(offenders.isEmpty, "LXD calls outside the driver's verbs: \(offenders)")
        // The check itself must see the driver's paths, or it proves nothing.
        #expect(try SourceTree.swiftFiles(under: driver).contains { $0.text.contains("\"/1.0/instances") })
    }

    @Test("feature folders depend on each other one way", arguments: ["Services/API", "Services/Gateway"])
    func foldersAreAcyclic(service: String) throws {
        let graph = try FolderGraph(service: service)
        #expect(graph.edges.count >= 3, "the graph of \(service) was not read: \(graph.edges)")
        #expect(graph.cycle() == nil, "\(service) has a dependency cycle: \(graph.cycle() ?? [])")
    }

    @Test("a cycle is found when there is one")
    func cycleDetection() {
        let graph = FolderGraph(edges: ["A": ["B"], "B": ["C"], "C": ["A"], "D": ["A"]])
        #expect(Set(graph.cycle() ?? []) == ["A", "B", "C"])
        #expect(FolderGraph(edges: ["A": ["B"], "B": ["C"], "D": ["A", "C"]]).cycle() == nil)
    }

    @Test("comments and docs point inside the repository")
    func noOutsideReferences() throws {
        // Spelled in pieces so that this file does not find itself.
        let outside = ["SPEC" + " §", "DESIGN" + " §", "SECURITY" + "-CHECKLIST", "../" + "shared/"]
        var offenders: [String] = []
        for file in try SourceTree.files(under: ["Services", "Shared", "Tests", "scripts", "compose", "lxd-profiles"], extensions: ["swift", "md", "sh", "yml", "yaml", "mustache", "js"])
            + [try SourceTree.file("README.md"), try SourceTree.file("Makefile")] {
            for (index, line) in file.lines.enumerated() where outside.contains(where: line.contains) {
                offenders.append("\(file.path):\(index + 1)")
            }
        }
        #expect(offenders.isEmpty, "references to documents outside the repository: \(offenders)")
    }
}

/// Files of the repository, read as text.
enum SourceTree {
    struct File {
        /// Relative to the repository root.
        var path: String
        var text: String
        var lines: [Substring] { self.text.split(separator: "\n", omittingEmptySubsequences: false) }
    }

    static func file(_ path: String) throws -> File {
        File(path: path, text: try String(contentsOf: TestEnvironment.root.appendingPathComponent(path), encoding: .utf8))
    }

    static func swiftFiles(under folder: String) throws -> [File] {
        try self.files(under: [folder], extensions: ["swift"])
    }

    static func files(under folders: [String], extensions: Set<String>) throws -> [File] {
        var found: [File] = []
        for folder in folders {
            let base = TestEnvironment.root.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else {
                throw MissingService("cannot read \(base.path)")
            }
            for case let url as URL in walker where extensions.contains(url.pathExtension) {
                let relative = String(url.path.dropFirst(TestEnvironment.root.path.count + 1))
                found.append(File(path: relative, text: try String(contentsOf: url, encoding: .utf8)))
            }
        }
        return found.sorted { $0.path < $1.path }
    }
}

/// Which feature folder of a service uses which: a folder uses another when its code names a
/// type declared at the top level of the other (comments and string literals ignored).
struct FolderGraph {
    var edges: [String: Set<String>]

    init(edges: [String: Set<String>]) {
        self.edges = edges
    }

    init(service: String) throws {
        let files = try SourceTree.swiftFiles(under: service)
        func folder(_ file: SourceTree.File) -> String {
            String(file.path.dropFirst(service.count + 1).split(separator: "/").first ?? "")
        }
        var owner: [String: String] = [:]
        for file in files {
            for match in file.text.matches(of: /(?m)^(?:(?:public|final|indirect)\s+)*(?:struct|class|enum|actor|protocol|typealias)\s+([A-Z]\w*)/) {
                owner[String(match.1)] = owner[String(match.1)] ?? folder(file)
            }
        }
        var edges: [String: Set<String>] = [:]
        for file in files {
            let from = folder(file)
            let code = Self.code(file.text)
            let words = Set(code.matches(of: /[A-Z]\w*/).map { String($0.0) })
            for word in words {
                if let to = owner[word], to != from { edges[from, default: []].insert(to) }
            }
        }
        self.edges = edges
    }

    /// The text without comments and string literals, which may name anything.
    static func code(_ text: String) -> String {
        text.replacing(/"""[\s\S]*?"""/, with: "\"\"")
            .replacing(/\/\*[\s\S]*?\*\//, with: "")
            .replacing(/\/\/[^\n]*/, with: "")
            .replacing(/"(?:[^"\\\n]|\\.)*"/, with: "\"\"")
    }

    /// The folders of one cycle, or nil when the graph has none.
    func cycle() -> [String]? {
        var state: [String: Bool] = [:]  // false: on the current path, true: done
        var path: [String] = []
        func visit(_ node: String) -> [String]? {
            if state[node] == true { return nil }
            if state[node] == false { return Array(path[path.firstIndex(of: node)!...]) }
            state[node] = false
            path.append(node)
            for next in (self.edges[node] ?? []).sorted() {
                if let found = visit(next) { return found }
            }
            path.removeLast()
            state[node] = true
            return nil
        }
        for node in self.edges.keys.sorted() {
            if let found = visit(node) { return found }
        }
        return nil
    }
}
