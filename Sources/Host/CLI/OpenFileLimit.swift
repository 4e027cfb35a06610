import Foundation
import HostSupport

/// The process's limit on open file descriptors (RLIMIT_NOFILE): every client connection takes
/// one. Under systemd the soft limit starts at 1,024, far below a host's `max_connections`, while
/// the hard limit is much higher; `serve` and `demo` raise the soft limit to the hard one at start
/// and log what they got (docs/operations.md).
enum OpenFileLimit {
    /// Descriptors the host needs besides client connections (plugins' HTTP, Redis, journal,
    /// speech models, stdio), for the warning when the limit cannot hold `max_connections`.
    static let reserve = 128

    /// Raises the soft limit to the hard limit (to `fs.nr_open` when the hard limit is unlimited)
    /// and logs the result; warns when it leaves no room for `maxConnections`.
    static func raise(forConnections maxConnections: Int, logger: Logger = .shared) {
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else {
            return logger.log(.warning, "limits", "cannot read the open-file limit: \(String(cString: strerror(errno)))")
        }
        let before = limit.rlim_cur
        var target = limit.rlim_max
        if target == rlim_t.max, let ceiling = kernelCeiling() { target = ceiling }   // unlimited: the kernel's own cap
        var now = before
        if before < target {
            var raised = limit
            raised.rlim_cur = target
            if setrlimit(resource, &raised) == 0 {
                now = target
                logger.log(.info, "limits", "open-file limit raised from \(before) to \(target) (the hard limit)")
            } else {
                logger.log(.warning, "limits", "cannot raise the open-file limit from \(before) to \(target): \(String(cString: strerror(errno)))")
            }
        } else {
            logger.log(.info, "limits", "open-file limit: \(describe(before)) (already the hard limit)")
        }
        if now != rlim_t.max, now < rlim_t(maxConnections + reserve) {
            let room = Int(now) - reserve
            logger.log(.warning, "limits", "the open-file limit (\(now)) leaves no room for max_connections (\(maxConnections)) and the "
                       + "host's own files: \(room > 0 ? "past about \(room) connections" : "almost at once") accepting pauses (counted as "
                       + "agent_host_connections_refused_total{reason=\"emfile\"}); raise the hard limit (systemd LimitNOFILE=, "
                       + "ulimit -Hn) or lower server.limits.max_connections")
        }
    }

    private static func describe(_ value: rlim_t) -> String { value == rlim_t.max ? "unlimited" : String(value) }

    /// /proc/sys/fs/nr_open: the most descriptors Linux lets one process have.
    private static func kernelCeiling() -> rlim_t? {
        guard let text = try? String(contentsOfFile: "/proc/sys/fs/nr_open", encoding: .utf8) else { return nil }
        return rlim_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
