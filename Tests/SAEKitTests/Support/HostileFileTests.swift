import Foundation
@testable import SAEKit
import Testing

/// Outputs, lock files, labels files and mapped inputs that someone else tampers with (issue 19,
/// items 1-6, 13 and 17). Device nodes are `mknod` copies in a scratch folder, never the real /dev.
@Suite(.serialized)
struct HostileFileTests {
    static func run(_ argv: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    static func mode(_ path: String) -> mode_t? {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : nil
    }

    static func inode(_ path: String) -> ino_t {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_ino : 0
    }

    // MARK: Item 1: -o onto a device, a FIFO, a symlink, standard output

    @Test func outputIntoACharacterDeviceWritesIntoItAndKeepsTheNode() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let null = dir.file("null")
        try #require(Self.run(["/usr/bin/mknod", null, "c", "1", "3"]) == 0, "mknod needs root (the tests run as root)")
        let target = try OutputTarget(null)
        #expect(target.kind == .device)
        try target.write([Data("to the bit bucket".utf8)])
        #expect(Self.mode(null) == S_IFCHR, "the device node was replaced")
        // A seekable writer (safetensors) spools and copies into it, still without replacing it.
        let w = try SafetensorsStreamWriter(path: null, tensors: [.init("x", .f32, [2])])
        try w.append([Float(1), 2])
        try w.finish()
        #expect(Self.mode(null) == S_IFCHR)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["null"], "a temporary file was left")
    }

    @Test func outputIntoAFIFOIsStreamedToItsReader() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let fifo = dir.file("fifo")
        try #require(mkfifo(fifo, 0o644) == 0)
        let received = dir.file("received")
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/sh")
        reader.arguments = ["-c", "cat '\(fifo)' > '\(received)'"]
        try reader.run()
        let target = try OutputTarget(fifo)
        #expect(target.kind == .device)
        try target.write([Data("through ".utf8), Data("the pipe".utf8)])
        reader.waitUntilExit()
        #expect(Self.mode(fifo) == S_IFIFO, "the FIFO was replaced")
        #expect(try readText(received) == "through the pipe")
    }

    @Test func outputThroughASymlinkWritesItsTargetAndKeepsTheLink() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let real = dir.write("real.json", "old")
        let link = dir.file("link.json")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.json")
        let target = try OutputTarget(link)
        #expect(target.throughSymlink && target.path == real)
        #expect(target.description == "\(real) (through the symlink \(link))")
        try target.write([Data("new".utf8)])
        #expect(Self.mode(link) == S_IFLNK, "the symlink was replaced by a file")
        #expect(try readText(real) == "new")
        // A dangling link names the file to create.
        let dangling = dir.file("dangling")
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: "made.json")
        try OutputTarget(dangling).write([Data("made".utf8)])
        #expect(try readText(dir.file("made.json")) == "made" && Self.mode(dangling) == S_IFLNK)
    }

    @Test func dashAndDevStdoutAreStandardOutput() throws {
        for name in ["-", "/dev/stdout", "/proc/self/fd/1"] {
            let t = try OutputTarget(name)
            #expect(t.kind == .descriptor(1) && t.description == "standard output", "\(name)")
        }
        let e = try #require(throws: SAEKitError.self) { try OutputTarget("-", fileOnly: "a cache is read back") }
        #expect(e.description == "-: is standard output, not a file; a cache is read back; give a file name")
    }

    @Test func foldersEmptyPathsAndMissingFoldersAreRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        #expect(throws: SAEKitError(.badInput, path: dir.path, reason: "is a folder", remedy: "give a file name inside it")) {
            try OutputTarget(dir.path)
        }
        #expect(throws: SAEKitError(.badInput, path: nil, subject: "-o", reason: "is an empty path", remedy: "give a file name")) {
            try OutputTarget("")
        }
        let missing = dir.file("no/such/x")
        #expect(
            throws: SAEKitError(
                .notFound, path: missing, reason: "its folder \(dir.file("no/such")) does not exist", remedy: "create the folder first")
        ) {
            try OutputTarget(missing)
        }
        // saex's own files are never written through a symlink or into a FIFO.
        let fifo = dir.file("x.analysis")
        try #require(mkfifo(fifo, 0o644) == 0)
        #expect(throws: SAEKitError.self) { try AtomicFile.write(path: fifo, chunks: [Data()]) }
        #expect(Self.mode(fifo) == S_IFIFO)
    }

    // MARK: Item 3: output over an input

    @Test func anOutputThatIsAnInputIsRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let input = dir.write("acts.safetensors", "input bytes")
        let hard = dir.file("hard-link")
        try #require(link(input, hard) == 0)
        let folder = dir.file("dict")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let weights = dir.path + "/dict/sae_weights.safetensors"
        writeFile(weights, Data("weights".utf8))
        for (output, inputs, hit) in [
            (input, [input], input), (hard, [input], input), (dir.path + "/./acts.safetensors", [input], input),
            (weights, [folder], weights)
        ] {
            let e = try #require(throws: SAEKitError.self) { try OutputTarget(output, inputs: inputs) }
            #expect(e.description.contains("is the input \(hit)") && e.exitCode == 2, "\(e)")
        }
        #expect(try readText(input) == "input bytes" && (try readText(weights)) == "weights")
        _ = try OutputTarget(dir.file("new.safetensors"), inputs: [input, folder])
    }

    // MARK: Item 13: temporary files of killed writers

    @Test func staleTemporaryFilesOfDeadProcessesAreSwept() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let out = dir.file("out.safetensors")
        // A pid that cannot exist (above pid_max), ours (alive), another host's, and the old format.
        let dead = dir.write(".out.safetensors.tmp-\(OutputTarget.hostName)-2147483646-7", "x")
        let oldFormat = dir.write(".out.safetensors.tmp-2147483645-7", "x")
        let mine = dir.write(".out.safetensors.tmp-\(OutputTarget.hostName)-\(getpid())-7", "x")
        let otherHost = dir.write(".out.safetensors.tmp-some-other-node-2147483646-7", "x")
        try OutputTarget(out).write([Data("done".utf8)])
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(!left.contains((dead as NSString).lastPathComponent) && !left.contains((oldFormat as NSString).lastPathComponent))
        #expect(left.contains((mine as NSString).lastPathComponent) && left.contains((otherHost as NSString).lastPathComponent))
        #expect(left.contains("out.safetensors"))
    }

    // MARK: Item 6: a mapped file changed on disk

    @Test func aTruncatedMappingReadsZerosAndIsReported() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.write("mapped.bin", [UInt8](repeating: 7, count: 1 << 20))
        let map = try MappedFile(path: path)
        #expect(map.bytes[(1 << 20) - 1] == 7)
        try MappedFile.checkUnchanged()
        #expect(truncate(path, 4096) == 0)
        // Past the new end the kernel raises SIGBUS; the guard puts zero pages there instead.
        #expect(map.bytes[(1 << 20) - 1] == 0)
        #expect(map.changedOnDisk)
        let e = try #require(throws: SAEKitError.self) { try MappedFile.checkUnchanged(remedy: "reopen it") }
        #expect(e.description == "\(path): changed on disk while saex was reading it; reopen it")
        #expect(e.exitCode == 1)
    }

    @Test func aFileCopiedOverInPlaceIsReportedAndOneRenamedOverIsNot() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.write("cache", [UInt8](repeating: 1, count: 8192))
        let replaced = dir.write("replaced", [UInt8](repeating: 1, count: 8192))
        let a = try MappedFile(path: path), b = try MappedFile(path: replaced)
        usleep(20_000)
        // cp over an open file: same inode, same size, other bytes, new mtime.
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.write(contentsOf: Data([UInt8](repeating: 2, count: 8192)))
        try h.close()
        #expect(a.changedOnDisk)
        // A rename over the path leaves the mapped inode whole: not a change.
        try AtomicFile.write(path: replaced, chunks: [Data([3])], checkMappedInputs: false)
        #expect(!b.changedOnDisk)
        #expect(b.bytes[100] == 1)
    }

    // MARK: Item 2: lock files

    @Test func aSymlinkPlantedAsTheLockFileIsRefusedAndItsTargetUntouched() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let victim = dir.write("victim.txt", "precious")
        try FileManager.default.createSymbolicLink(atPath: dir.file("l.labels.lock"), withDestinationPath: victim)
        let e = try #require(throws: SAEKitError.self) { try LabelStore(path: dir.file("l.labels")) }
        #expect(
            e.description == "\(dir.file("l.labels.lock")): is a symlink; saex does not follow lock files; remove it (saex makes its own)")
        #expect(try readText(victim) == "precious")
    }

    @Test func aLockFileSaexDidNotMakeIsNeverTruncated() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        // Someone's file at the lock's name: locked as it is, never rewritten.
        let lock = dir.write("l.labels.lock", "not a pid, someone's data\n")
        let store = try LabelStore(path: dir.file("l.labels"))
        store.close()
        #expect(try readText(lock) == "not a pid, someone's data\n")
        // A hard link to another file (two links) is not ours either.
        let other = dir.write("other.txt", "42\n")
        try #require(link(other, dir.file("m.labels.lock")) == 0)
        let second = try LabelStore(path: dir.file("m.labels"))
        second.close()
        #expect(try readText(other) == "42\n")
        // A lock file saex made holds its pid.
        let third = try LabelStore(path: dir.file("n.labels"))
        #expect(try readText(dir.file("n.labels.lock")) == "\(getpid())\n")
        third.close()
        // A FIFO at the lock's name is refused at once, not waited on.
        try #require(mkfifo(dir.file("f.labels.lock"), 0o644) == 0)
        #expect(
            throws: SAEKitError(
                .badInput, path: dir.file("f.labels.lock"), reason: "is not a regular file", remedy: "remove it (saex makes its own)")
        ) {
            try LabelStore(path: dir.file("f.labels"))
        }
    }

    @Test func theBlindReportReadsWhileTheSessionIsOpen() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let dicts = [
            BlindDictionary(name: "a", fingerprint: "fa", featureCount: 20, density: [Double](repeating: 0.1, count: 20)),
            BlindDictionary(name: "b", fingerprint: "fb", featureCount: 20, density: [Double](repeating: 0.1, count: 20))
        ]
        let open = try BlindSession.create(directory: dir.path, dictionaries: dicts, perDictionary: 4, seed: 1)
        defer { open.close() }
        let lockBefore = try readText(dir.file("blind.lock"))
        let reader = try BlindSession(directory: dir.path, readOnly: true)
        #expect(reader.progress.total == 8)
        #expect(throws: SAEKitError.self) { try reader.record(BlindAnswer(id: reader.order[0], rating: .yes)) }
        #expect(try readText(dir.file("blind.lock")) == lockBefore)
        // A writer still conflicts.
        #expect(throws: SAEKitError.self) { try BlindSession(directory: dir.path) }
    }

    // MARK: Items 4, 5, 17: the labels file

    @Test func aLabelsFileDeletedOrTruncatedUnderTheStoreIsRewrittenFromMemory() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("l.labels")
        let store = try LabelStore(path: path)
        defer { store.close() }
        for f in 0..<2 {
            try store.setLabel(FeatureLabel(verdict: .interpretable, concept: "c\(f)"), for: FeatureKey(fingerprint: "fp", feature: f))
        }
        #expect(unlink(path) == 0)
        try store.setLabel(FeatureLabel(verdict: .unsure), for: FeatureKey(fingerprint: "fp", feature: 2))
        #expect(
            store.takeNotice()
                == "the labels file was deleted while saex had it open; rewrote it from memory (2 labels) and saved the change")
        #expect(store.takeNotice() == nil)
        #expect(try LabelStore(path: path, readOnly: true).allLabels.count == 3)
        #expect(truncate(path, 0) == 0)
        try store.setLabel(FeatureLabel(verdict: .unsure), for: FeatureKey(fingerprint: "fp", feature: 3))
        #expect(store.takeNotice()?.hasPrefix("the labels file was truncated") == true)
        let reread = try LabelStore(path: path, readOnly: true)
        #expect(reread.allLabels.count == 4 && reread.allLabels[FeatureKey(fingerprint: "fp", feature: 1)]?.concept == "c1")
    }

    @Test func aSymlinkedLabelsFileSurvivesCompaction() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.file("real"), withIntermediateDirectories: true)
        let real = dir.file("real/l.labels")
        let link = dir.file("l.labels")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let store = try LabelStore(path: link, compactAfter: 2)
        for f in 0..<10 { try store.setLabel(FeatureLabel(concept: "v\(f)"), for: FeatureKey(fingerprint: "fp", feature: f % 3)) }
        store.close()
        #expect(Self.mode(link) == S_IFLNK, "compaction replaced the symlink")
        #expect(
            FileManager.default.fileExists(atPath: dir.file("real/l.labels.lock"))
                && !FileManager.default.fileExists(atPath: link + ".lock"))
        #expect(try LabelStore(path: real, readOnly: true).allLabels.count == 3)
    }

    @Test func labelsFilesThatAreNotFilesAreRefusedWithoutALockBesideThem() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let zero = dir.file("zero")
        try #require(Self.run(["/usr/bin/mknod", zero, "c", "1", "5"]) == 0)
        let fifo = dir.file("fifo")
        try #require(mkfifo(fifo, 0o644) == 0)
        for (path, kind) in [(zero, "character device"), (fifo, "FIFO")] {
            for readOnly in [false, true] {
                #expect(
                    throws: SAEKitError(
                        .badInput, path: path, reason: "is not a regular file (\(kind))",
                        remedy: "give a labels file: a regular file, or a new path")
                ) {
                    try LabelStore(path: path, readOnly: readOnly)
                }
            }
        }
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == ["zero", "fifo"], "a lock file was made")
        let cwd = FileManager.default.currentDirectoryPath
        #expect(throws: SAEKitError.self) { try LabelStore(path: "") }
        #expect(!FileManager.default.fileExists(atPath: cwd + "/.lock"))
    }

    // MARK: Item 12: merging a part twice

    @Test func mergingTheSameCacheTwiceIsRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let cache = Repo.path("fixtures/demo/demo.saexcache")
        let e = try #require(throws: SAEKitError.self) { try CacheMerger.merge(inputs: [cache, cache], output: dir.file("m.saexcache")) }
        #expect(e.description.contains("was built from the same activations as \(cache)"), "\(e)")
        #expect(e.description.hasSuffix("merging would count every context twice; give each part of the corpus once"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("m.saexcache")))
    }

    // MARK: Items 9, 10: limits

    @Test func blasThreadsFollowTheMemoryLimit() {
        #expect(ResourceCheck.blasThreads(limit: nil, cpus: 8) == nil)
        #expect(ResourceCheck.blasThreads(limit: 500 << 20, cpus: 8) == 1)
        #expect(ResourceCheck.blasThreads(limit: 2 << 30, cpus: 8) == 1)
        #expect(ResourceCheck.blasThreads(limit: 4 << 30, cpus: 8) == 3)
        #expect(ResourceCheck.blasThreads(limit: 64 << 30, cpus: 8) == 8)
        #expect(ResourceCheck.slurmLimit(["SLURM_MEM_PER_NODE": "2048"]) == 2 << 30)
        #expect(ResourceCheck.slurmLimit(["SLURM_MEM_PER_CPU": "1000", "SLURM_CPUS_ON_NODE": "4"]) == 4000 << 20)
        #expect(ResourceCheck.slurmLimit([:]) == nil)
        let env = BLASRuntime.reexecEnvironment(environment: [:], memoryLimit: 500 << 20, cpus: 2)
        #expect(env["OPENBLAS_NUM_THREADS"] == "1")
        #expect(
            BLASRuntime.reexecEnvironment(environment: ["OMP_NUM_THREADS": "2"], memoryLimit: 500 << 20, cpus: 2)["OPENBLAS_NUM_THREADS"]
                == nil)
        #expect(BLASRuntime.reexecEnvironment(environment: [:], memoryLimit: nil, cpus: 2)["OPENBLAS_NUM_THREADS"] == nil)
        #expect(
            ResourceCheck.format(8 << 40) == "8.0 TiB" && ResourceCheck.format(500) == "500 bytes"
                && ResourceCheck.format(200 << 20) == "200 MiB")
    }

    @Test func workThatCannotFitOnDiskIsRefusedUnlessForced() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let target = try OutputTarget(dir.file("huge.safetensors"))
        let free = try #require(target.freeBytes)
        let e = try #require(throws: SAEKitError.self) {
            try ResourceCheck.require(memory: 0, disk: free + (1 << 40), target: target, what: "encoding 1073741824 rows", force: false)
        }
        #expect(e.description.hasPrefix("\(dir.file("huge.safetensors")): encoding 1073741824 rows writes about "))
        #expect(e.description.hasSuffix("free; free space, write elsewhere, or give --force to try anyway"))
        try ResourceCheck.require(memory: 0, disk: free + (1 << 40), target: target, what: "x", force: true)
        #expect(throws: SAEKitError.self) {
            try ResourceCheck.require(memory: Int.max / 2, disk: nil, target: nil, what: "x", force: false)
        }
    }
}
