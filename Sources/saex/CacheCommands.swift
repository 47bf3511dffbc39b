import ArgumentParser
import Foundation
import SAEKit

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Build, merge and describe context caches.",
        subcommands: [CacheBuild.self, CacheMerge.self, CacheInfo.self])

    static let cacheIsAFile = "a cache is read back for its analysis once written"
}

/// `NAME=PATH` as given to --dict.
struct DictArgument: ExpressibleByArgument {
    var name: String
    var path: String

    init?(argument: String) {
        guard let eq = argument.firstIndex(of: "=") else { return nil }
        name = String(argument[..<eq])
        path = String(argument[argument.index(after: eq)...])
        if name.isEmpty || path.isEmpty { return nil }
    }

    static var defaultCompletionKind: CompletionKind { .file() }
}

struct CacheOptionGroup: ParsableArguments {
    @Option(help: "Top-activating contexts kept per feature.") var topK: Int = 32
    @Option(help: "Equal-width activation bins for interval samples.") var bins: Int = 10
    @Option(help: "Examples per interval bin.") var perBin: Int = 5
    @Option(help: "Random active examples per feature.") var random: Int = 20
    @Option(help: "Seed for the interval and random picks.") var seed: UInt64 = 0

    func validate() throws {
        guard (1...4096).contains(topK) else { throw ValidationError("--top-k must be between 1 and 4096") }
        guard (0...1000).contains(bins), (0...1000).contains(perBin), (0...10000).contains(random) else {
            throw ValidationError("--bins, --per-bin and --random must be between 0 and 1000 (10000 for --random)")
        }
    }

    var options: CacheOptions {
        var o = CacheOptions()
        (o.topK, o.bins, o.perBin, o.randomCount, o.seed) = (topK, bins, perBin, random, seed)
        return o
    }
}

struct CacheBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Encode activations with every dictionary and write a context cache.",
        discussion: """
            Example:
              saex cache build --dict standard=fixtures/demo/standard --dict cosine=fixtures/demo/cosine_perfeature \\
                --activations fixtures/demo/activations.safetensors --vocab fixtures/demo/tokenizer.json -o demo.saexcache
            """)

    @Option(name: .customLong("dict"), help: ArgumentHelp("A dictionary as NAME=PATH; repeat for each.", valueName: "NAME=PATH"))
    var dicts: [DictArgument] = []
    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Activations: .safetensors with activations [n_seq, seq_len, d_in] and tokens, or .npy; several files, or a quoted glob "
                + "(matches in sorted name order, *.features.safetensors left out), are read as one corpus.", valueName: "FILE"))
    var activations: [String] = []
    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Instead of --activations: the sparse feature activations scripts/dump_activations.py --encode wrote "
                + "(OUT.features.safetensors; several files or a quoted glob, one corpus). Built without encoding, after saex "
                + "re-encodes each file's check sample and compares (docs/FORMATS.md).", valueName: "FILE"))
    var featureActs: [String] = []
    @Option(help: "Token ids [n_seq, seq_len] as .npy or .safetensors, when not inside the (single) activation file.") var tokens: String?
    @Option(help: "Vocabulary: tokenizer.json, a JSON array of strings, or {\"id\": \"token\"}.") var vocab: String
    @Option(
        help: ArgumentHelp(
            "The unembedding scripts/dump_activations.py wrote (OUT.unembed.safetensors): store every "
                + "feature's ten most positive and ten most negative logit effects (docs/ANALYSIS.md).", valueName: "FILE"))
    var unembed: String?
    @Option(name: .shortAndLong, help: "The cache file to write.") var output: String
    @Option(
        help: ArgumentHelp(
            "Build only part I of N (I from 0, whole sequences), e.g. --shard $SLURM_ARRAY_TASK_ID/4; "
                + "saex cache merge joins the N parts into the single build's cache.", valueName: "I/N"))
    var shard: String?
    @Option(
        help: ArgumentHelp(
            "Bound on the build's working memory beyond the dictionaries' weights (e.g. 512M, 2G); "
                + "what does not fit is spilled to a folder beside the output.", valueName: "SIZE"))
    var memoryLimit: String?
    @Flag(help: "Start even when the estimated memory or disk exceeds what is free.") var force = false
    @OptionGroup var cacheOptions: CacheOptionGroup
    @Flag(help: "Match decoders exactly however wide the dictionaries are (docs/ANALYSIS.md).") var exact = false

    func run() throws {
        guard !dicts.isEmpty else { throw ValidationError("give at least one --dict NAME=PATH") }
        guard activations.isEmpty != featureActs.isEmpty else {
            throw ValidationError("give either --activations FILE... or --feature-acts FILE... (one or more, or a quoted glob)")
        }
        let part = try shard.map { try ShardSpec(parsing: $0) }
        var options = cacheOptions.options
        if let m = memoryLimit {
            options.memoryLimit = try ByteSize.parse(m, option: "--memory-limit")
        } else {
            let sized = CacheBuilder.defaultMemoryLimit()
            options.memoryLimit = sized.bytes
            if let why = sized.limitedBy { Console.error("saex: --memory-limit \(ResourceCheck.format(sized.bytes)) to fit \(why)") }
        }
        var named: [NamedDictionary] = []
        for d in dicts {
            named.append(NamedDictionary(name: d.name, dictionary: try DictionaryLoader.load(path: d.path)))
        }
        let vocabulary = try Vocabulary.load(path: vocab)
        let unembedding = try unembed.map { try Unembedding(path: $0) }
        let started = Date()
        let report: CacheBuilder.ProgressHandler = { stage, done, total in Progress.report(stage: stage, done: done, total: total) }
        let sequences: Int, sequenceLength: Int
        var target = try OutputTarget("-")
        // Once the inputs are open: the output is not one of them, and the work fits.
        func check(rows: Int, dIn: Int) throws {
            let inputs =
                dicts.map(\.path) + (try ActivationCorpus.expand(activations))
                + (try ActivationCorpus.expand(featureActs, skipFeatureFiles: false))
                + [tokens, vocab].compactMap { $0 }
            target = try OutputTarget(output, inputs: inputs, fileOnly: CacheCommand.cacheIsAFile)
            // A --memory-limit the user gave is what the build may grow to; the default was sized to fit.
            let need = CacheBuilder.estimate(rows: rows, featureCounts: named.map(\.dictionary.dSAE), dIn: dIn)
            let memory = memoryLimit == nil ? need.memory : max(need.memory, options.memoryLimit)
            try ResourceCheck.require(
                memory: memory, disk: need.disk, target: target, what: "building a cache of \(rows) tokens", force: force,
                remedy: memoryLimit == nil ? "use fewer dictionaries" : "give a smaller --memory-limit")
        }
        if featureActs.isEmpty {
            let corpus = try ActivationCorpus(paths: try ActivationCorpus.expand(activations), tokensPath: tokens)
            (sequences, sequenceLength) = (corpus.sequences, corpus.sequenceLength)
            try check(
                rows: try CacheBuilder.partRows(sequences: sequences, sequenceLength: sequenceLength, shard: part).rows.count,
                dIn: corpus.dIn)
            try CacheBuilder.build(
                dictionaries: named, corpus: corpus, shard: part, vocabulary: vocabulary, vocabularyPath: vocab,
                unembedding: unembedding, options: options, output: output, progress: report)
        } else {
            if tokens != nil { throw ValidationError("--tokens applies to --activations; feature files hold their tokens") }
            let files = try ActivationCorpus.expand(featureActs, skipFeatureFiles: false).map { try FeatureActsFile(path: $0) }
            sequences = files.reduce(0) { $0 + $1.sequences }
            sequenceLength = files[0].sequenceLength
            try check(
                rows: try CacheBuilder.partRows(sequences: sequences, sequenceLength: sequenceLength, shard: part).rows.count,
                dIn: named[0].dictionary.dIn)
            try CacheBuilder.build(
                dictionaries: named, featureFiles: files, shard: part, vocabulary: vocabulary, vocabularyPath: vocab,
                unembedding: unembedding, options: options, output: output, progress: report)
        }
        Progress.finish()
        let realTokens = try ContextCache(path: output).realTokenCount
        if let part {
            // A part is only an input of saex cache merge, which analyses the whole.
            Console.error(
                String(
                    format: "wrote %@: part %@ of %d tokens, %d dictionaries (%.1f s); merge all %d parts with saex cache merge",
                    TerminalText.escapedLine(target.description), part.description, realTokens, named.count,
                    Date().timeIntervalSince(started), part.count))
            return
        }
        try AnalysisStore.refresh(
            cachePath: output, dictionaries: named.map(\.dictionary), recompute: true,
            options: AnalysisOptions(matching: exact ? .exact : .automatic), announce: { Console.error($0) },
            progress: { stage, done, total in Progress.report(stage: stage, done: done, total: total) })
        Progress.finish()
        Console.error(
            String(
                format: "wrote %@: %d tokens, %d dictionaries (%.1f s)", TerminalText.escapedLine(target.description), realTokens,
                named.count,
                Date().timeIntervalSince(started)))
    }
}

struct CacheMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge caches built from shards of one corpus with the same dictionaries into one.")

    @Argument(help: "The partial caches, in corpus order.") var inputs: [String]
    @Option(name: .shortAndLong, help: "The merged cache to write.") var output: String

    func run() throws {
        guard inputs.count >= 1 else { throw ValidationError("give the caches to merge") }
        let target = try OutputTarget(output, inputs: inputs, fileOnly: CacheCommand.cacheIsAFile)
        try CacheMerger.merge(inputs: inputs, output: output) { stage, done, total in
            Progress.report(stage: stage, done: done, total: total)
        }
        Progress.finish()
        try AnalysisStore.refresh(
            cachePath: output, recompute: true, announce: { Console.error($0) },
            progress: { stage, done, total in Progress.report(stage: stage, done: done, total: total) })
        Progress.finish()
        Console.error(TerminalText.escapedLine("wrote \(target) from \(inputs.count) caches"))
    }
}

struct CacheInfo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Describe a context cache.")
    @Argument(help: "A cache file.") var cache: String
    @Option(help: "Output format: text or json.") var format: TextOrJSON = .text

    func run() throws {
        let c = try ContextCache(path: cache)
        if format == .json {
            try Console.out(try jsonString(c.manifest))
            return
        }
        let m = c.manifest
        var lines = [
            "cache:        \(cache)",
            "sample:       \(m.sample.rows) rows (\(m.sample.sequences) sequences x \(m.sample.sequenceLength)), "
                + "\(c.realTokenCount) real tokens",
            "activations:  \(m.sample.activationsPath) (\(m.sample.activationsFingerprint))",
            "vocabulary:   \(m.sample.vocabularyPath) (\(c.vocabularySize) tokens, \(c.vocabularyStyle))",
            "examples:     top \(m.options.topK), \(m.options.bins) bins x \(m.options.perBin), \(m.options.randomCount) random, seed \(m.options.seed)",
            "fingerprint:  \(m.fingerprint)"
        ]
        if let u = m.unembed {
            lines.append(
                "logits:       \(u.count) per side per feature from \(u.path) (\(u.fingerprint)), d_vocab \(u.dVocab), "
                    + "final norm \(u.finalNorm)")
        }
        if let part = m.sample.shard {
            lines.append(
                "part:         \(part.index)/\(part.count) of a --shard build of \(part.corpusSequences) sequences; merge all \(part.count) with saex cache merge"
            )
        }
        for (i, d) in m.dictionaries.enumerated() {
            let nnz = c.dictionaries[i].columns.nonzeroCount
            let fvu = c.dictionaries[i].fvu.map { String(format: ", FVU %.4f", $0) } ?? ""
            lines.append(
                "dictionary:   \(d.name): \(d.format) \(d.architecture), \(d.score), d_sae \(d.dSAE), \(nnz) nonzeros\(fvu), "
                    + "\(d.path) (\(d.fingerprint))")
        }
        try Console.lines(lines)
    }
}
