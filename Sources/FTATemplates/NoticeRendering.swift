import Foundation
import FTACore

/// Renders one notice's title and content: picks the templates (``NoticeTemplates/pick``),
/// adds the `notice` helper object (``NoticeContext``) and renders both. A template error names
/// the template and its line; it fails that notice only.
package enum NoticeRendering {
    /// `base(needsOriginal)` gives the action's context, with the original's variables when the
    /// picked templates name any.
    package static func render(templates: NoticeTemplates, signal: String, way: String, level: Int64, base: (Bool) -> JSONValue,
                              actionTemplates: JSONValue?, renderer: TemplateRenderer) throws -> (title: String, content: String) {
        let (title, content) = templates.pick(signal: signal, way: way, action: actionTemplates)
        let needsOriginal = OriginalContext.names.contains { title.text.contains($0) || content.text.contains($0) }
            || title.text.contains("strategy.") || content.text.contains("strategy.")
        let context = TemplateRenderer.Context(NoticeContext.build(base: base(needsOriginal), signal: signal, level: level, language: templates.language))
        let t = try renderer.render(title.text, field: title.name, context: context)
        let c = try renderer.render(content.text, field: content.name, context: context)
        return (t.trimmingWhitespace(), c.trimmingWhitespace())
    }
}
