import Foundation
import FTAConfig
import FTACore

/// The defense approval flow (original-system.md §2.7): an action that must be approved first
/// (`waiting`) opens an ITSM fast-approval ticket for its assignees, is polled every 60 s, runs
/// once approved, and ends `skipped` when rejected or when nobody answers within 30 minutes
/// (the ticket is then withdrawn). Steps `approve` and `approve_poll`, one per pass.
package struct ApprovalFlow: Sendable {
    package static let window: Int64 = ApprovalWindow.seconds
    package static let pollEvery: Double = 60
    let system: RemoteSystem?
    let serviceId: Int64?

    package init(system: RemoteSystem?, serviceId: Int64?) {
        self.system = system
        self.serviceId = serviceId
    }

    struct Failed: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    func post(_ path: String, _ body: JSONValue, worker: WorkerContext, system: RemoteSystem) -> Result<JSONValue, Failed> {
        let auth: JSONValue = ["bk_app_code": .string(system.appCode), "bk_app_secret": .string(system.appSecret), "bk_username": "fta-system"]
        let request = HTTPRequest(method: "POST", url: system.url + path,
                                  headers: [("Content-Type", "application/json"), ("Accept", "application/json"), ("X-Bkapi-Authorization", auth.jsonText)],
                                  body: Array(body.jsonText.utf8), timeout: system.timeout, verifyTLS: system.verifyTLS)
        switch worker.http.perform(request) {
        case .failure(let e): return .failure(Failed("ITSM not reached: \(e)"))
        case .success(let r):
            guard let json = try? JSONParser.parse(r.bodyText) else { return .failure(Failed("ITSM answered HTTP \(r.status): \(TextLimit.excerpt(r.bodyText))")) }
            if r.status >= 400 || json["result"]?.boolValue == false {
                return .failure(Failed("ITSM returned \(json["message"]?.scalarText ?? "HTTP \(r.status)")"))
            }
            return .success(json)
        }
    }

    package func run(_ action: ClaimedAction, worker: WorkerContext) -> StepResult {
        guard let system, !system.url.isEmpty, let serviceId else {
            return StepResult(outcome: ActionOutcome(.finished(.failure), message: "creating approval ticket failed: itsm.url and itsm.approval_service_id are not configured"))
        }
        let now = worker.clock.now()
        let config = action.json(\.actionConfig)
        let name = config["name"]?.stringValue ?? "action \(action.id)"
        var outputs = action.json(\.outputs).objectValue ?? [:]
        if action.nextStep != "approve_poll" {
            let approvers = (action.json(\.assignee, default: .emptyArray).arrayValue ?? []).compactMap(\.scalarText)
            let alert = action.json(\.alert)
            let content = "Package \(name) for alert \(alert["alert_name"]?.scalarText ?? alert["id"]?.scalarText ?? "") (business \(action.bkBizId), strategy \(action.strategyId)) is waiting for your approval. Action id \(action.esActionId)."
            let body: JSONValue = ["service_id": .int(serviceId), "creator": "fta-system",
                                   "fields": [["key": "title", "value": .string("[defense approval] continue executing package【\(name)】?")],
                                              ["key": "APPROVER", "value": .string(approvers.joined(separator: ","))],
                                              ["key": "APPROVAL_CONTENT", "value": .string(content)]],
                                   "meta": ["source": "fta", "action_id": .string(action.esActionId)]]
            switch post("/create_ticket/", body, worker: worker, system: system) {
            case .failure(let why):
                return StepResult(outcome: ActionOutcome(.finished(.failure), message: "creating approval ticket failed: \(why)"))
            case .success(let json):
                let info: JSONValue = ["sn": json["data"]?["sn"] ?? .null, "id": json["data"]?["id"] ?? .null,
                                       "url": json["data"]?["ticket_url"] ?? .null, "create_time": .int(now), "approvers": .array(approvers.map { .string($0) })]
                outputs["approve_info"] = info
                var outcome = ActionOutcome(.next(step: "approve_poll", after: ApprovalFlow.pollEvery),
                                            message: "approval ticket \(info["sn"]?.scalarText ?? "") created for \(approvers.joined(separator: ", "))",
                                            outputs: ["approve_info": info])
                outcome.nextStatus = .waiting
                return StepResult(outcome: outcome)
            }
        }
        let info = outputs["approve_info"] ?? .object([:])
        let sn = info["sn"]?.scalarText ?? ""
        let opened = min(max(info["create_time"]?.intValue ?? action.createTime, InputLimits.time.lowerBound), now)
        let query: JSONValue = ["sn": .array([.string(sn)])]
        switch post("/ticket_approval_result/", query, worker: worker, system: system) {
        case .failure(let why):
            return StepResult(outcome: ActionOutcome(.finished(.failure), message: "reading approval ticket \(sn) failed: \(why)"))
        case .success(let json):
            let result = json["data"]?.arrayValue?.first ?? json["data"] ?? .null
            let status = result["current_status"]?.stringValue ?? ""
            if status == "FINISHED" {
                if result["approve_result"]?.boolValue == true {
                    var outcome = ActionOutcome(.next(step: "execute", after: 0), message: "approved (ticket \(sn)) by \(result["updated_by"]?.scalarText ?? "the approver")")
                    outcome.deadlineAfter = min(7200, max(1, config["execute_config"]?["timeout"]?.intValue ?? 600))
                    return StepResult(outcome: outcome)
                }
                return StepResult(outcome: ActionOutcome(.finished(.skipped), message: "approval rejected, approver \(result["updated_by"]?.scalarText ?? "unknown") (ticket \(sn))"))
            }
            if status != "RUNNING" && !status.isEmpty {
                return StepResult(outcome: ActionOutcome(.finished(.skipped), message: "approval ticket \(sn) ended \(status) without approval"))
            }
            if now - opened >= ApprovalFlow.window {
                let withdraw: JSONValue = ["sn": .string(sn), "operator": "fta-system", "action_type": "WITHDRAW",
                                           "action_message": "not handled within 30 minutes"]
                if case .failure(let why) = post("/operate_ticket/", withdraw, worker: worker, system: system) {
                    return StepResult(outcome: ActionOutcome(.finished(.failure), message: "withdrawing approval ticket \(sn) failed: \(why)"))
                }
                return StepResult(outcome: ActionOutcome(.finished(.skipped), message: "approval not handled within 30 minutes, ignored (ticket \(sn) withdrawn)"))
            }
            var outcome = ActionOutcome(.next(step: "approve_poll", after: ApprovalFlow.pollEvery), message: "approval ticket \(sn) still open")
            outcome.nextStatus = .waiting
            return StepResult(outcome: outcome)
        }
    }
}
