import SAEKit

extension ExplorerReducer {
    /// Asks for what the compare screen shows: the left feature's contexts and sample, its match
    /// lists, and once a match is known, the right feature's contexts and sample and each side's
    /// activations on the other's top contexts.
    static func requestCompare(_ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
        guard let c = s.compare else { return }
        s.contexts.request(c.left, .loadContexts(c.left), into: &effects)
        s.samples.request(c.left, .loadSample(c.left), into: &effects)
        s.matches.request(c.matchKey, .loadMatches(c.matchKey), into: &effects)
        guard let right = s.rightFeature(c) else { return }
        s.contexts.request(right, .loadContexts(right), into: &effects)
        s.samples.request(right, .loadSample(right), into: &effects)
        for (subject, anchor) in [(right, c.left), (c.left, right)] {
            guard let top = s.contexts.peek(anchor)?.value?.top else { continue }
            let key = EvidenceKey(subject: subject, anchor: anchor)
            s.evidence.request(key, .loadEvidence(key, contexts: top), into: &effects)
        }
    }

    /// The compare screen's keys: move through the ranked matches, swap, change the other
    /// dictionary or the ranking, focus a side, open the focused feature.
    enum Compare {
        static func apply(_ action: ExplorerAction, _ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
            guard var c = s.compare else { return }
            switch action {
            case .nextMatch, .previousMatch:
                let count = s.rankedMatches(c)?.count ?? 0
                guard count > 0 else { return }
                c.matchIndex = (c.matchIndex + (action == .nextMatch ? 1 : count - 1)) % count
                c.scroll = 0
            case .swapSides:
                guard let right = s.rightFeature(c) else { return }
                c = CompareState(left: right, other: c.left.dict, ranking: c.ranking, focus: c.focus)
            case .nextOtherDictionary:
                guard s.tables.count > 2 else { return }
                repeat { c.other = (c.other + 1) % s.tables.count } while c.other == c.left.dict
                c.matchIndex = 0
                c.scroll = 0
            case .cycleRanking:
                c.ranking = c.ranking.next
                c.matchIndex = 0
                s.message = StatusMessage(text: "matches ranked by \(ExplorerViews.rankingName(c.ranking))", isError: false)
            case .focus(let side):
                c.focus = side ?? (c.focus == .left ? .right : .left)
            case .openSelection:
                guard let ref = c.focus == .left ? c.left : s.rightFeature(c) else { return }
                push(.detail(DetailState(ref: ref, followsList: false)), &s)
                requestDetail(&s, &effects)
                return
            default:
                return
            }
            replaceTop(.compare(c), &s)
            requestCompare(&s, &effects)
        }
    }

    /// The pairs screen: its table (built once per dictionary pair and ranking), its order, and
    /// its keys.
    enum Pairs {
        static func request(_ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
            guard let p = s.pairs else { return }
            switch s.pairTables[p.key] {
            case nil:
                s.pairTables[p.key] = .loading
                effects.append(.computePairTable(p.key, a: s.tables[p.a], b: s.tables[p.b]))
            case .ready(let table)?:
                reorder(table, &s, &effects)
            default:
                break
            }
        }

        static func reorder(_ table: PairTable, _ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
            guard var p = s.pairs else { return }
            if p.query == PairQuery() {
                p.order = nil
                p.orderPending = false
                p.list.setCount(table.count)
            } else {
                p.orderPending = true
                p.movedWhileOrdering = false
                effects.append(
                    .computePairOrder(
                        PairOrderRequest(key: p.key, query: p.query), table,
                        labelsA: s.labelsByFeature(p.a), labelsB: s.labelsByFeature(p.b)))
            }
            replaceTop(.pairs(p), &s)
        }

        static func loaded(_ action: ExplorerAction, _ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
            switch action {
            case .pairTableComputed(let key, let value):
                s.pairTables[key] = value
                if s.pairs?.key == key, let table = value.value { reorder(table, &s, &effects) }
            case .pairOrderComputed(let request, let order):
                guard var p = s.pairs, request == PairOrderRequest(key: p.key, query: p.query) else { return }
                let keep = p.selectedFeature
                let row = p.list.selected
                p.order = order
                p.orderPending = false
                p.list.setCount(order?.count ?? s.tables[p.a].featureCount)
                if p.movedWhileOrdering {
                    p.list.jump(to: row)
                } else if let keep, let row = order?.firstIndex(of: Int32(keep)) {
                    p.list.jump(to: row)
                } else {
                    p.list.home()
                }
                p.movedWhileOrdering = false
                replaceTop(.pairs(p), &s)
            default:
                break
            }
        }

        static func query(_ action: ExplorerAction, _ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
            guard var p = s.pairs else { return }
            switch action {
            case .cycleSort:
                let all = PairColumns.sortCycle
                let next = all[((all.firstIndex(of: p.query.sort) ?? 0) + 1) % all.count]
                p.query.sort = next
                p.query.descending = next.descendingByDefault
            case .reverseSort:
                p.query.descending.toggle()
            case .nextFilter, .previousFilter:
                let all = PairFilter.allCases
                let i = all.firstIndex(of: p.query.filter) ?? 0
                p.query.filter = all[(i + (action == .nextFilter ? 1 : all.count - 1)) % all.count]
            default:
                return
            }
            replaceTop(.pairs(p), &s)
            if let table = s.pairTables[p.key]?.value { reorder(table, &s, &effects) }
        }

        static func cycleRanking(_ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
            guard var p = s.pairs else { return }
            p.ranking = p.ranking.next
            p.order = nil
            replaceTop(.pairs(p), &s)
            s.message = StatusMessage(text: "pairs by \(ExplorerViews.rankingName(p.ranking))", isError: false)
            request(&s, &effects)
        }

        static func swapDirection(_ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
            guard let p = s.pairs else { return }
            var q = PairsState(a: p.b, b: p.a, ranking: p.ranking, height: s.height, count: s.tables[p.b].featureCount)
            q.query = p.query
            replaceTop(.pairs(q), &s)
            request(&s, &effects)
        }

        /// Enter: the selected pair in compare, its match shown on the right.
        static func openSelection(_ s: inout ExplorerState, _ effects: inout [ExplorerEffect]) {
            guard let p = s.pairs, let f = p.selectedFeature else { return }
            // The pair's match is its best under the ranking: the first of the ranked matches.
            push(.compare(CompareState(left: FeatureRef(dict: p.a, feature: f), other: p.b, ranking: p.ranking)), &s)
            requestCompare(&s, &effects)
        }
    }
}

/// The pairs screen's sort cycle.
public enum PairColumns {
    public static let sortCycle: [PairColumn] = [
        .feature, .score, .decoderCosine, .activationCorrelation, .mutual, .alphaA, .alphaB,
        .spearmanA, .spearmanB, .hintA, .hintB, .densityA, .densityB, .verdictA, .verdictB,
        .conceptA, .conceptB, .match, .elasticityA, .elasticityB
    ]
}
