import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Debian's nginx as a reverse proxy in front of a service under test: a child process of the
/// test with its own configuration, prefix, pid file and logs in a temporary folder, on a free
/// loopback port; never the system's nginx. It forwards the way a typical deployment does
/// (`X-Forwarded-For $proxy_add_x_forwarded_for`) and passes every other header through, so a
/// test can see what a client's forged headers become behind it.
public final class TestNginx: Sendable {
    public let port: Int
    public let pid: pid_t
    public let folder: URL

    /// Proxies `127.0.0.1:<port>` to `upstream`, connecting to it from `sourceAddress`, so that
    /// the upstream can trust that address alone as its proxy while test clients connect from
    /// 127.0.0.1.
    public init(upstreamPort: Int, sourceAddress: String = "127.0.0.2") async throws {
        let nginx = try Command.which("nginx")
        self.port = try Command.freePort()
        self.folder = FileManager.default.temporaryDirectory.appendingPathComponent("orcastra-nginx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
        let dir = self.folder.path
        let config = """
            daemon off;
            master_process off;
            pid \(dir)/nginx.pid;
            error_log \(dir)/error.log warn;
            events { worker_connections 64; }
            http {
              access_log off;
              client_body_temp_path \(dir)/body;
              proxy_temp_path \(dir)/proxy;
              fastcgi_temp_path \(dir)/fastcgi;
              uwsgi_temp_path \(dir)/uwsgi;
              scgi_temp_path \(dir)/scgi;
              server {
                listen 127.0.0.1:\(self.port);
                location / {
                  proxy_pass http://127.0.0.1:\(upstreamPort);
                  proxy_bind \(sourceAddress);
                  proxy_set_header Host $host;
                  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                  proxy_set_header X-Forwarded-Proto $scheme;
                }
              }
            }
            """
        try config.write(to: self.folder.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        self.pid = try Command.spawn(nginx, ["-p", dir, "-c", dir + "/nginx.conf"],
                                     stdout: dir + "/stdout.log", stderr: dir + "/stderr.log")
        let port = self.port
        do {
            try await Command.waitUntil(.seconds(20), "nginx listening on \(port)") { Command.isListening(port) }
        } catch {
            self.stop()
            let log = (try? String(contentsOf: self.folder.appendingPathComponent("stderr.log"), encoding: .utf8)) ?? ""
            throw MissingService("nginx did not start: \(log)")
        }
    }

    public var url: String { "http://127.0.0.1:\(self.port)" }

    /// Stops this nginx (by its own pid) and removes its folder.
    public func stop() {
        kill(self.pid, SIGTERM)
        Command.wait(self.pid)
        try? FileManager.default.removeItem(at: self.folder)
    }
}
