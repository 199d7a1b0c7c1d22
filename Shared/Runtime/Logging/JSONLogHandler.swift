import Foundation
import Logging
import OrcastraModels

/// swift-log handler that writes one JSON object per line (`log_type: "app"`) for Fluent Bit,
/// or a readable line when `JSON_LOGS=false`.
///
/// Metadata values are written as strings under `metadata`; nothing here knows which values
/// are secrets, so callers never put one into metadata (the configuration layer marks them).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let service: String
    let version: String
    let json: Bool
    let sink: LogSink

    public init(label: String, service: String, version: String, level: Logger.Level, json: Bool, sink: LogSink) {
        self.label = label
        self.service = service
        self.version = version
        self.logLevel = level
        self.json = json
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        if self.json {
            self.sink.write(json: AppLogLine(
                timestamp: Timestamp.now(), level: event.level.rawValue, message: event.message.description,
                logger: self.label, service: self.service, version: self.version, host: LogHost.current,
                metadata: merged.isEmpty ? nil : merged.mapValues { "\($0)" }
            ))
        } else {
            let meta = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            self.sink.write(line: "\(Timestamp.now()) \(event.level.rawValue.uppercased()) [\(self.label)] \(event.message)\(meta.isEmpty ? "" : " " + meta)")
        }
    }

    /// Installs this handler for the whole process; call once, first thing in `main`.
    public static func bootstrap(config: ServiceConfig, sink: LogSink = .standardOutput) {
        LoggingSystem.bootstrap { label in
            JSONLogHandler(label: label, service: config.serviceName, version: config.version,
                           level: config.logLevel, json: config.jsonLogs, sink: sink)
        }
    }
}

/// The shape of an application log line.
struct AppLogLine: Encodable {
    var timestamp: String
    var logType = "app"
    var level: String
    var message: String
    var logger: String
    var service: String
    var version: String
    var host: LogHost
    var metadata: [String: String]?

    enum CodingKeys: String, CodingKey {
        case timestamp = "@timestamp", logType = "log_type", level, message, logger, service, version, host, metadata
    }
}
