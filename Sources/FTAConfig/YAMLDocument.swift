import Foundation
import FTACore
import Yams

/// Reads YAML (and JSON) files — the config, `groups import`, `fta-rota import` — safely:
///
/// - Aliases are followed without being copied (the document is composed, not constructed), and
///   the values a document expands to are counted: a "billion laughs" file of nested aliases
///   is refused after ``maxValues`` instead of filling memory.
/// - A syntax error names the file, line and column and what is wrong, never the text of the
///   line (which may hold a password).
/// - `${NAME}` in strings is replaced by the environment variable; `$${` writes a literal `${`.
enum YAMLDocument {
    /// Values (scalars, lists, mappings) a document may expand to.
    static let maxValues = 1_000_000
    /// Bytes of text a document may expand to.
    static let maxBytes = 64 << 20
    /// Files larger than this are refused before parsing.
    static let maxFileBytes = 32 << 20

    final class Budget {
        var values = 0
        var bytes = 0
        let source: String
        init(source: String) { self.source = source }

        func charge(bytes n: Int) throws {
            values += 1
            bytes += n
            if values > YAMLDocument.maxValues || bytes > YAMLDocument.maxBytes {
                throw FTAError.config("\(source): expands to more than \(YAMLDocument.maxValues) values or \(YAMLDocument.maxBytes >> 20) MiB "
                                      + "(aliases that refer to aliases?); refused")
            }
        }
    }

    /// The document as JSON, or nil when it is empty. `name` prefixes every message.
    static func load(_ text: String, name: String, environment: [String: String], errorKind: (String) -> FTAError = FTAError.config) throws -> JSONValue? {
        guard text.utf8.count <= maxFileBytes else { throw errorKind("\(name): larger than \(maxFileBytes >> 20) MiB; refused") }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw errorKind("\(name): invalid YAML\(describe(error))")
        } catch {
            throw errorKind("\(name): invalid YAML")
        }
        guard let node else { return nil }
        do {
            return try json(node, path: "", budget: Budget(source: name), environment: environment, name: name)
        } catch let e as FTAError {
            throw errorKind(e.description)
        }
    }

    /// ` at line L, column C: problem` — the position and libyaml's description, without the
    /// snippet of source text Yams adds.
    static func describe(_ error: YamlError) -> String {
        func clean(_ s: String) -> String { MessageText.escaped(String(s.prefix(200))) }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let ctx = context.map { " (\(clean($0.text)) at line \($0.mark.line))" } ?? ""
            return " at line \(mark.line), column \(mark.column): \(clean(problem))\(ctx)"
        case let .reader(problem, offset, _, _):
            return offset.map { " at byte \($0): \(clean(problem))" } ?? ": \(clean(problem))"
        case let .duplicatedKeysInMapping(duplicates, context):
            return " at line \(context.mark.line): duplicate keys \(duplicates.map(clean).joined(separator: ", "))"
        case .memory: return ": out of memory"
        default: return ""
        }
    }

    static func json(_ node: Node, path: String, budget: Budget, environment: [String: String], name: String) throws -> JSONValue {
        switch node {
        case .scalar(let s):
            try budget.charge(bytes: s.string.utf8.count)
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: if let b = node.bool { return .bool(b) }
            case Tag.Name.int.rawValue: if let i = node.int { return .int(Int64(i)) }
            case Tag.Name.float.rawValue: if let d = node.float, d.isFinite { return .double(d) }
            case Tag.Name.timestamp.rawValue:
                // An unquoted YAML timestamp (`effective_time: 2026-03-01 09:00:00`): its wall-clock text.
                if let d = node.timestamp { return .string(WallTime(seconds: Int64(d.timeIntervalSince1970.rounded(.down))).text) }
            default: break
            }
            return .string(try expand(s.string, path: path, name: name, environment: environment))
        case .sequence(let seq):
            try budget.charge(bytes: 0)
            var out: [JSONValue] = []
            for (i, item) in seq.enumerated() {
                out.append(try json(item, path: "\(path)[\(i)]", budget: budget, environment: environment, name: name))
            }
            return .array(out)
        case .mapping(let map):
            try budget.charge(bytes: 0)
            var out: [String: JSONValue] = [:]
            for (k, v) in map {
                let key = k.string ?? k.scalar?.string ?? ""
                let child = path.isEmpty ? key : "\(path).\(key)"
                try budget.charge(bytes: key.utf8.count)
                if out.updateValue(try json(v, path: child, budget: budget, environment: environment, name: name), forKey: key) != nil {
                    throw FTAError.config("\(name): \(MessageText.escaped(child)): the key appears twice")
                }
            }
            return .object(out)
        case .alias:
            throw FTAError.config("\(name): \(path): an alias that refers to nothing")
        }
    }

    /// `${NAME}` replaced by the environment variable; `$${` is a literal `${`.
    static func expand(_ s: String, path: String, name: String, environment: [String: String]) throws -> String {
        guard s.contains("${") else { return s }
        var out = ""
        var rest = Substring(s)
        while let start = rest.range(of: "${") {
            // `$${` writes `${` and expands nothing.
            if start.lowerBound > rest.startIndex, rest[rest.index(before: start.lowerBound)] == "$" {
                out += rest[..<rest.index(before: start.lowerBound)]
                out += "${"
                rest = rest[start.upperBound...]
                continue
            }
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw FTAError.config("\(name): \(path): unterminated ${ in value (write $${ for a literal ${)")
            }
            let variable = String(rest[start.upperBound..<end])
            guard let value = environment[variable] else {
                throw FTAError.config("\(name): \(path): environment variable \(MessageText.escaped(variable)) is not set")
            }
            out += value
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }
}
