import FTACore
import Logging

extension CommandEnvironment {
    /// Ends a pass the same way in every command: the closing log line carries every figure,
    /// `--json` prints them on stdout, `--metrics-file` writes their gauges.
    package func finish(_ summary: some PassSummary, log message: Logger.Message, json: Bool) throws {
        var metadata = Logger.Metadata()
        for (key, value) in summary.logFields { metadata[key] = .string(value) }
        logger.info(message, metadata: metadata)
        if let metricsFile { try MetricsFile.write(summary.metrics, to: metricsFile) }
        if json { print(summary.json.jsonText) }
    }
}
