#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// What a machine (or a cluster job) lets saex use, and the check a command makes before it starts.
///
/// Shared clusters limit a job three ways: the address-space limit (`ulimit -v`, RLIMIT_AS, which
/// makes an allocation or mmap fail), a cgroup memory limit (Slurm's `--mem` under task/cgroup;
/// exceeding it gets the job killed), and the job's own numbers in `SLURM_MEM_PER_NODE` /
/// `SLURM_MEM_PER_CPU`. A command estimates the memory and disk it will need from the input's
/// shapes before it starts, and refuses in one line when that does not fit (`--force` skips it).
public enum ResourceCheck {
    /// The tightest memory limit that applies to this process, and where it comes from; nil when
    /// there is none. Address space, cgroup and Slurm limits are all counted.
    public static func memoryLimit(environment: [String: String] = ProcessInfo.processInfo.environment) -> (bytes: Int, source: String)? {
        var limits: [(Int, String)] = []
        if let a = addressSpaceLimit() { limits.append((a, "ulimit -v")) }
        if let c = cgroupLimit() { limits.append((c, "the cgroup memory limit")) }
        if let s = slurmLimit(environment) { limits.append((s, "the Slurm job's --mem")) }
        return limits.min { $0.0 < $1.0 }.map { (bytes: $0.0, source: $0.1) }
    }

    /// How many OpenBLAS threads fit under `limit` bytes: each thread takes a buffer of up to 128 MiB
    /// of address space and a stack, so with a limit saex keeps one thread per GiB beyond the first
    /// (at least one; `cpus` at most). Without a limit, nil (OpenBLAS decides).
    ///
    /// Measured with Debian's OpenBLAS 0.3.21 on 2 cores: `encode` of the demo spins forever in
    /// `blas_memory_alloc` under `ulimit -v` 500 MB with 2 threads and finishes with 1, and at
    /// 200 MB even `inspect` hangs at exit in `blas_thread_shutdown_` with 2 threads.
    public static func blasThreads(limit: Int?, cpus: Int) -> Int? {
        guard let limit else { return nil }
        return max(1, min(cpus, limit / (1 << 30) - 1))
    }

    /// Address space one OpenBLAS work buffer takes (Debian's 0.3.21 mallocs 128 MiB + 4 KiB).
    static let blasBufferBytes = 129 << 20

    /// Address space to keep for OpenBLAS buffers not taken yet: the executable takes the calling
    /// thread's at start (`BLASRuntime.warmUp`), so one per further thread.
    public static func blasReserve() -> Int {
        let threads =
            ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap(Int.init)
            ?? blasThreads(limit: memoryLimit()?.bytes, cpus: ProcessInfo.processInfo.activeProcessorCount)
            ?? ProcessInfo.processInfo.activeProcessorCount
        return max(0, threads - (BLASRuntime.warmedUp ? 1 : 0)) * blasBufferBytes
    }

    /// RLIMIT_AS (soft), nil when unlimited.
    public static func addressSpaceLimit() -> Int? {
        var r = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &r) == 0, r.rlim_cur != ~rlim_t(0) else { return nil }
        return r.rlim_cur > UInt64(Int.max) ? nil : Int(r.rlim_cur)
    }

    /// cgroup v2 `memory.max` of this process's cgroup (or the root's), nil when "max" or absent.
    static func cgroupLimit() -> Int? {
        cgroupValue("memory.max")
    }

    static func cgroupValue(_ name: String) -> Int? {
        var dirs = ["/sys/fs/cgroup"]
        if let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("0::") })
        {
            dirs.insert("/sys/fs/cgroup" + line.dropFirst(3), at: 0)
        }
        for dir in dirs {
            guard let text = try? String(contentsOfFile: dir + "/" + name, encoding: .utf8) else { continue }
            return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return nil
    }

    /// The job's memory from Slurm's environment: SLURM_MEM_PER_NODE, or SLURM_MEM_PER_CPU times
    /// the CPUs on the node (both in MB).
    static func slurmLimit(_ env: [String: String]) -> Int? {
        if let node = env["SLURM_MEM_PER_NODE"].flatMap(Int.init), node > 0 { return node << 20 }
        if let cpu = env["SLURM_MEM_PER_CPU"].flatMap(Int.init), cpu > 0 {
            let cpus = env["SLURM_CPUS_ON_NODE"].flatMap(Int.init) ?? env["SLURM_CPUS_PER_TASK"].flatMap(Int.init) ?? 1
            return cpu * max(1, cpus) << 20
        }
        return nil
    }

    /// A value in kB from a /proc file ("VmSize:   1234 kB"), as bytes.
    static func procValue(_ file: String, _ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") })
        else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 << 10 }
    }

    /// Memory this process can still get, and what limits it: the address space left under
    /// RLIMIT_AS (beside `reserve` for OpenBLAS), the cgroup's or Slurm's limit minus what the
    /// process holds, and the machine's available memory and free swap.
    public static func availableMemory(reserve: Int = 0) -> (bytes: Int, limitedBy: String)? {
        var options: [(Int, String)] = []
        if let limit = addressSpaceLimit(), let size = procValue("/proc/self/status", "VmSize") {
            options.append((limit - size - reserve, "ulimit -v"))
        }
        let rss = procValue("/proc/self/status", "VmRSS") ?? 0
        if let c = cgroupLimit() { options.append((c - (cgroupValue("memory.current") ?? rss), "the cgroup memory limit")) }
        if let s = slurmLimit(ProcessInfo.processInfo.environment) { options.append((s - rss, "the Slurm job's --mem")) }
        if let avail = procValue("/proc/meminfo", "MemAvailable") {
            options.append((avail + (procValue("/proc/meminfo", "SwapFree") ?? 0), "free memory"))
        }
        return options.min { $0.0 < $1.0 }.map { (bytes: max(0, $0.0), limitedBy: $0.1) }
    }

    /// Refuses work that will not fit: `memory` bytes beyond what is mapped already, `disk` bytes
    /// written beside or into `target`'s folder. `what` names the work ("encoding 8192 rows").
    /// `force` skips the check.
    public static func require(
        memory: Int, disk: Int?, target: OutputTarget?, what: String, force: Bool,
        remedy: String = "use a smaller input"
    ) throws {
        guard !force else { return }
        if let available = availableMemory(reserve: blasReserve()), memory > available.bytes {
            let remedy =
                available.limitedBy == "free memory"
                ? "free memory, \(remedy), or give --force to try anyway"
                : "raise \(available.limitedBy), \(remedy), or give --force to try anyway"
            throw SAEKitError(
                .ioFailure, path: target?.given,
                reason: "\(what) needs about \(format(memory)) of memory, "
                    + "but \(format(available.bytes)) are available (\(available.limitedBy))", remedy: remedy)
        }
        if let disk, let target, let free = target.freeBytes, disk > free {
            throw SAEKitError(
                .ioFailure, path: target.given,
                reason: "\(what) writes about \(format(disk)), but its file system has \(format(free)) free",
                remedy: "free space, write elsewhere, or give --force to try anyway")
        }
    }

    /// "512 MiB", "8.0 TiB".
    public static func format(_ bytes: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var v = Double(bytes), i = 0
        while v >= 1024 && i < units.count - 1 {
            v /= 1024
            i += 1
        }
        return i == 0 ? "\(bytes) bytes" : (v < 10 ? String(format: "%.1f %@", v, units[i]) : String(format: "%.0f %@", v, units[i]))
    }
}
