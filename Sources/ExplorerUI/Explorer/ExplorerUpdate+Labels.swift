import Foundation
import SAEKit

extension ExplorerReducer {
    /// Verdicts, concept and notes edits, undo and redo. A label shows as saved only once the label
    /// book confirmed it (`labelSaved`); until then `savesInFlight` counts it.
    enum Labels {
        static func apply(_ action: ExplorerAction, _ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
            switch action {
            case .setVerdict(let verdict):
                guard let ref = s.focusedFeature, !s.readOnlyLabels else { return }
                let key = s.key(for: ref)
                let before = s.labels[key]
                var after = before ?? FeatureLabel()
                after.verdict = verdict
                save(LabelSave(key: key, before: before, after: after.isEmpty ? nil : after, kind: .edit, field: nil), &s, &effects)
            case .editLabel(let field):
                guard let ref = s.focusedFeature, !s.readOnlyLabels else { return }
                let key = s.key(for: ref)
                let label = s.labels[key]
                let text = field == .concept ? label?.concept ?? "" : label?.notes ?? ""
                // Longer than the editor holds (imported, or edited outside saex): editing would cut it.
                guard text.count <= LineEditor.maxCharacters else {
                    s.message = StatusMessage(
                        text: "the \(field == .concept ? "concept" : "notes") of feature \(key.feature) hold \(text.count) characters, "
                            + "more than the editor's \(LineEditor.maxCharacters); they are kept as they are", isError: true)
                    return
                }
                s.input = InputField(kind: .label(key, field), editor: LineEditor(text))
            case .undo:
                guard let change = s.undoStack.last else {
                    s.message = StatusMessage(text: "nothing to undo", isError: false)
                    return
                }
                save(LabelSave(key: change.key, before: s.labels[change.key], after: change.before, kind: .undo, field: nil), &s, &effects)
            case .redo:
                guard let change = s.redoStack.last else {
                    s.message = StatusMessage(text: "nothing to redo", isError: false)
                    return
                }
                save(LabelSave(key: change.key, before: s.labels[change.key], after: change.after, kind: .redo, field: nil), &s, &effects)
            case .labelSaved(let request, let stored):
                s.savesInFlight = max(0, s.savesInFlight - 1)
                s.labels[request.key] = stored
                let change = LabelChange(key: request.key, before: request.before, after: stored)
                switch request.kind {
                case .edit:
                    s.undoStack.append(change)
                    s.redoStack.removeAll()
                case .undo:
                    if let last = s.undoStack.popLast() { s.redoStack.append(last) }
                case .redo:
                    if let last = s.redoStack.popLast() { s.undoStack.append(last) }
                }
                if let input = s.input, case .label(let key, _) = input.kind, key == request.key, request.field != nil { s.input = nil }
                let verb = request.kind == .edit ? "saved" : request.kind == .undo ? "undone" : "redone"
                s.message = StatusMessage(text: "label of feature \(request.key.feature) \(verb)", isError: false)
            case .labelSaveFailed(let request, let error):
                s.savesInFlight = max(0, s.savesInFlight - 1)
                if var input = s.input, case .label(let key, _) = input.kind, key == request.key {
                    input.saving = false
                    s.input = input
                }
                s.message = StatusMessage(text: "label of feature \(request.key.feature) NOT saved: \(error)", isError: true, sticky: true)
            default:
                break
            }
        }

        static func save(_ request: LabelSave, _ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
            s.savesInFlight += 1
            effects.append(.saveLabel(request))
        }
    }

    /// The bottom-row prompts: search (incremental), jump, the alpha threshold, concept and notes.
    enum Prompts {
        static func edit(_ op: EditOp, _ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
            guard var input = s.input, !input.saving else { return }
            switch input.editor.apply(op) {
            case .edited:
                s.input = input
                if input.kind == .search, s.query.search != input.editor.text {
                    s.query.search = input.editor.text
                    reorder(&s, &effects)
                }
            case .cancelled:
                s.input = nil
                if input.kind == .search, !s.query.search.isEmpty {
                    s.query.search = ""
                    reorder(&s, &effects)
                }
            case .submitted:
                submit(input, &s, &effects)
            }
        }

        static func submit(_ input: InputField, _ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
            let text = input.editor.text.trimmingCharacters(in: .whitespaces)
            switch input.kind {
            case .search:
                s.input = nil
            case .alphaThreshold:
                s.input = nil
                if let value = Float(text), value.isFinite {
                    s.alphaThreshold = value
                    s.query.filter = .alphaAbove(value)
                    reorder(&s, &effects)
                } else {
                    s.message = StatusMessage(text: "not a number: \(text)", isError: true)
                }
            case .minimumActive:
                s.input = nil
                if let value = Int(text), value >= 0 {
                    s.query.minimumActive = value
                    reorder(&s, &effects)
                } else {
                    s.message = StatusMessage(text: "not a count of tokens: \(text)", isError: true)
                }
            case .jump:
                s.input = nil
                if let id = Int(text.hasPrefix("#") ? String(text.dropFirst()) : text) {
                    jump(to: id, &s, &effects)
                } else if !text.isEmpty {
                    s.message = StatusMessage(text: "not a feature number: \(text)", isError: true)
                }
            case .label(let key, let field):
                let before = s.labels[key]
                var after = before ?? FeatureLabel()
                if field == .concept { after.concept = input.editor.text } else { after.notes = input.editor.text }
                var saving = input
                saving.saving = true
                s.input = saving
                Labels.save(
                    LabelSave(key: key, before: before, after: after.isEmpty ? nil : after, kind: .edit, field: field), &s, &effects)
            }
        }
    }
}
