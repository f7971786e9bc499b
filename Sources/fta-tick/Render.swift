import ArgumentParser
import Foundation
import FTAActions
import FTACommand
import FTAConfig
import FTACore

extension FtaTick {
    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print what a notice or a template gives for an alert event, without storing or sending anything.",
            discussion: """
                The event (one JSON object in the ingest format) is planned with the config as fta-tick ingest
                would plan it. --way renders the notice the event sends on that way (title and content, from the
                package's templates or the configured and built-in ones); --template renders a template file
                against the event's first action (with --way: against its notice on that way, notice variables
                included). Check a migrated template before it pages anyone:
                  fta-tick render --config fta.yaml --event alert.json --way mail
                  fta-tick render --config fta.yaml --event alert.json --template body.j2
                """)

        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("The alert event: a JSON file (its first line or the whole file), or - for standard input.", valueName: "file"))
        var event: String
        @Option(help: ArgumentHelp("A template file to render.", valueName: "file")) var template: String?
        @Option(help: ArgumentHelp("A notice way (mail, sms, voice, weixin, wxwork-bot, ...).", valueName: "way")) var way: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if template == nil && way == nil { throw ValidationError("give --way, --template, or both") }
        }

        func run() throws {
            let env = try global.prepare(label: "fta-tick")
            let value = try Render.readEvent(event)
            let preview = RenderPreview(config: env.config)
            let now = env.clock.now()
            let out: RenderPreview.Output
            do {
                if let template {
                    guard let data = FileManager.default.contents(atPath: template), let text = String(data: data, encoding: .utf8) else {
                        throw FTAError.usage("--template \(template): cannot be read as UTF-8 text")
                    }
                    out = try preview.template(text, event: value, way: way, now: now)
                } else {
                    out = try preview.notice(event: value, way: way!, now: now)
                }
            } catch let e as FieldError {
                throw FTAError.input("\(e)")
            }
            if json {
                var o: [String: JSONValue] = ["content": .string(out.content)]
                if let w = out.way { o["way"] = .string(w) }
                if let t = out.title { o["title"] = .string(t) }
                print(JSONValue.object(o).jsonText)
            } else if let title = out.title {
                print("title: \(title)\n\n\(out.content)")
            } else {
                print(out.content)
            }
        }

        /// The event object of `path`: the whole file when it is one JSON value, else its first line.
        static func readEvent(_ path: String) throws -> JSONValue {
            let data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path)
            guard let data, let text = String(data: data, encoding: .utf8) else { throw FTAError.usage("--event \(path): cannot be read as UTF-8 text") }
            if let whole = try? JSONParser.parse(text) { return whole }
            let first = text.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
            do { return try JSONParser.parse(first) } catch { throw FTAError.input("--event \(path): line 1: malformed JSON: \(error)") }
        }
    }
}
