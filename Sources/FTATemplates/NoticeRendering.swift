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
        try render(templates: templates, signal: signal, way: way, level: level, context: { TemplateRenderer.Context(base($0)) },
                   actionTemplates: actionTemplates, renderer: renderer)
    }

    /// The same over a context that may resolve paths lazily (``ActionContext``): the `notice`
    /// variables are added the same way, built only from the members they read.
    package static func render(templates: NoticeTemplates, signal: String, way: String, level: Int64, context base: (Bool) -> TemplateRenderer.Context,
                              actionTemplates: JSONValue?, renderer: TemplateRenderer) throws -> (title: String, content: String) {
        let (title, content) = templates.pick(signal: signal, way: way, action: actionTemplates)
        let twoStages = templates.usesOriginalStages(signal: signal)
        let needsOriginal = twoStages || renderer.namesOriginalVariables(title.text) || renderer.namesOriginalVariables(content.text)
        let context = NoticeRendering.context(base: base(needsOriginal), signal: signal, level: level, language: templates.language)
        let t = try renderer.render(title.text, field: title.name, context: context)
        let c = try renderer.render(content.text, field: content.name, context: context)
        guard twoStages else { return (t.trimmingWhitespace(), c.trimmingWhitespace()) }
        // The original's second stage: the way's template around the user's title and content
        // (blank lines of the content dropped, except in markdown).
        let userContent = way == "wxwork-bot" ? c : c.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.joined(separator: "\n")
        let outer = OriginalNoticeTemplates.way(signal: signal, way: way, language: templates.language)
        let second = TemplateRenderer.Context(context.json.setting("user_title", .string(t.trimmingWhitespace())).setting("user_content", .string(userContent)))
        let finalTitle = try renderer.render(outer.title, field: "the original's \(way) title", context: second)
        let finalContent = try renderer.render(outer.content, field: "the original's \(way) content", context: second)
        return (finalTitle.trimmingWhitespace(), finalContent.trimmingWhitespace())
    }

    /// `base` with the `notice` variables (``NoticeContext``): what walking
    /// `NoticeContext.build(base: base.json, …)` gives, for every path, without building the
    /// base when the templates name only paths.
    package static func context(base: TemplateRenderer.Context, signal: String, level: Int64, language: NoticeTemplates.Language) -> TemplateRenderer.Context {
        final class Notice {
            var value: JSONValue?
        }
        let notice = Notice()
        func fields() -> JSONValue {
            if let v = notice.value { return v }
            let v = NoticeContext.fields(signal: signal, level: level, language: language) { base.value(at: $0) }
            notice.value = v
            return v
        }
        return TemplateRenderer.Context(resolve: { keys in
            guard let first = keys.first else { return base.json.setting("notice", fields()) }
            return first == "notice" ? TemplateRenderer.Context.walk(fields(), keys.dropFirst()) : base.value(at: keys)
        }, whole: {
            base.json.setting("notice", fields())
        })
    }
}
