import FTAConfig
import FTACore
import FTATemplates

/// What a template gives for an alert event, without storing or sending anything
/// (`fta-tick render`): the event is planned as `fta-tick ingest` would plan it, and the
/// template is rendered against the action the plan would create, as the pass would render it.
package struct RenderPreview {
    package struct Output: Equatable {
        /// The notice way rendered (nil for a template rendered against an action).
        package var way: String?
        package var title: String?
        package var content: String
    }

    let config: FTAConfig
    let stage: CreationStage

    package init(config: FTAConfig) {
        self.config = config
        stage = config.creationStage(registry: .standard(config: config))
    }

    /// The actions `event` (one event object, ingest format) creates at `now`: each family's
    /// action followed by its children, as they would be stored.
    package func actions(of event: JSONValue, now: Int64) throws -> [ClaimedAction] {
        let parsed = try AlertEvent.parse(event)
        let plan = try stage.plan(parsed, now: now)
        var out: [ClaimedAction] = []
        for family in plan.families {
            out.append(RenderPreview.claimed(family.action, id: Int64(out.count + 1), now: now))
            for child in family.children { out.append(RenderPreview.claimed(child, id: Int64(out.count + 1), now: now)) }
        }
        return out
    }

    /// A stored row's view of `draft`, as a pass would claim it.
    static func claimed(_ d: ActionDraft, id: Int64, now: Int64) -> ClaimedAction {
        var a = ClaimedAction(id: id, leaseToken: 1, signal: d.signal, createTime: now, pluginType: d.pluginType)
        a.strategyId = d.strategyId
        a.bkBizId = d.bkBizId
        a.alertLevel = d.alertLevel
        a.executeTimes = d.executeTimes
        a.isParentAction = d.isParentAction
        a.parentActionId = d.parentActionId
        a.actionConfigId = d.actionConfigId
        a.generateUUID = d.generateUUID
        a.text.strategy = d.strategy
        a.text.dimensions = d.dimensions
        a.text.alerts = d.alerts
        a.text.alert = d.alert
        a.text.actionPlugin = d.actionPlugin
        a.text.actionConfig = d.actionConfig
        a.text.inputs = d.inputs
        a.text.assignee = d.assignee
        return a
    }

    /// The title and content of the notice the event sends on `way` (the package's own templates
    /// first, then the configured or built-in ones for the signal and way).
    package func notice(event: JSONValue, way: String, now: Int64) throws -> Output {
        let all = try actions(of: event, now: now)
        let children = all.filter { $0.pluginType == "notice" && !$0.isParentAction }
        guard let child = children.first(where: { JSONParser.member(of: $0.text.inputs, "notice_way")?.stringValue == way }) else {
            let ways = Set(children.compactMap { JSONParser.member(of: $0.text.inputs, "notice_way")?.stringValue }).sorted()
            throw FieldError("--way", ways.isEmpty ? "the event sends no notice (no notice relation for its signal, or no receivers)"
                                                   : "the event sends no '\(way)' notice (its ways: \(ways.joined(separator: ", ")))")
        }
        let actionTemplates = child.json(\.actionConfig)["execute_config"]?["template_detail"]?["template"]
        let (title, content) = try NoticeRendering.render(templates: config.templates, signal: child.signal, way: way, level: child.alertLevel,
                                                          base: { ActionContext.build(child, original: $0 ? self.config.templates.context : nil, now: now) },
                                                          actionTemplates: actionTemplates,
                                                          renderer: TemplateRenderer())
        return Output(way: way, title: title, content: content)
    }

    /// `template` rendered against the context of the event's first action (with `way`: of its
    /// notice on that way, with the notice variables).
    package func template(_ template: String, event: JSONValue, way: String?, now: Int64) throws -> Output {
        let all = try actions(of: event, now: now)
        let renderer = TemplateRenderer()
        if let way {
            guard let child = all.first(where: { !$0.isParentAction && JSONParser.member(of: $0.text.inputs, "notice_way")?.stringValue == way }) else {
                throw FieldError("--way", "the event sends no '\(way)' notice")
            }
            let context = NoticeContext.build(base: ActionContext.build(child, original: config.templates.context, now: now), signal: child.signal,
                                              level: child.alertLevel, language: config.templates.language)
            return Output(way: way, title: nil, content: try renderer.render(template, field: "template", context: TemplateRenderer.Context(context)))
        }
        guard let first = all.first(where: { !$0.isParentAction }) ?? all.first else {
            throw FieldError("--event", "the event creates no action (no relation answers its signal)")
        }
        return Output(way: nil, title: nil, content: try renderer.render(template, field: "template", context: TemplateRenderer.Context(ActionContext.build(first, original: config.templates.context, now: now))))
    }
}
