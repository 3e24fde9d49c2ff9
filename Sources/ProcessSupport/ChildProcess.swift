import CSpawnSupport
public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`: exec credential plugins, and the tests' many commands (kubectl, the
/// vzauth binary).
///
/// Not Foundation's `Process`: on Linux its `run()` copies 256 bytes of every `/proc/self/fd` entry, past the end of
/// short records, and crashes the whole test process when one ends before an unmapped page
/// (swift-corelibs-foundation#5472, not in a 6.3 release). The test suite, which starts hundreds of commands, hit it
/// in CI; a long-running proxy refreshing an exec plugin's token would meet it sooner or later.
///
/// Its output (standard output and error together, or apart) is read into memory by threads of its own; it gets
/// default signal handling and an empty signal mask (a command started from a thread of Swift's or Dispatch's pool
/// would otherwise inherit their blocked signals, SIGTERM among them). It inherits no descriptor but its standard
/// input, output and error (glibc's addclosefrom), and the pipes made for it are close-on-exec.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: the mutable state is guarded by `lock`.
    public let processIdentifier: Int32
    private let lock = NSLock()
    private var output = Data()
    private var errorOutput = Data()
    private var exitStatus: Int32?
    private var readersLeft: Int
    private var readersDone: [CheckedContinuation<Void, Never>] = []

    /// Starts `executable` with `arguments`.
    ///
    /// - Parameters:
    ///   - environment: The whole environment; `nil`: this process's.
    ///   - input: Written to the command's standard input, which is then closed; `nil`: `/dev/null`.
    ///   - separateErrors: Keep standard error apart (``errorText``) instead of merged into ``text``.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, input: Data? = nil,
                separateErrors: Bool = false) throws {
        func makePipe() throws -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            // pipe2(O_CLOEXEC) is not in Swift's Glibc module; a command spawned by another thread in between may
            // inherit these two (it then only holds them until it exits).
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return (fds[0], fds[1])
        }
        let outPipe = try makePipe()
        let errPipe = separateErrors ? try makePipe() : nil
        let inPipe = input != nil ? try makePipe() : nil
        let nullInput = inPipe == nil ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe?.read ?? nullInput, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe.write, 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe?.write ?? outPipe.write, 2)
        // Nothing else of this process reaches the child: NIO's sockets are not close-on-exec, and a child holding
        // a test's listening or port-probing socket keeps that port taken after the test closed it.
        let closing = vzauth_spawn_file_actions_addclosefrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let environmentLines = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environmentLines.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        // Without closing the rest, no spawn (the same clean-up as a failed spawn).
        let result = closing == 0 ? posix_spawn(&pid, executable, &actions, &attributes, argv, envp) : closing
        // The child's ends belong to the child now.
        close(outPipe.write)
        if let errPipe { close(errPipe.write) }
        if let inPipe { close(inPipe.read) }
        if nullInput >= 0 { close(nullInput) }
        guard result == 0 else {
            close(outPipe.read)
            if let errPipe { close(errPipe.read) }
            if let inPipe { close(inPipe.write) }
            throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO)
        }
        self.processIdentifier = pid
        self.readersLeft = separateErrors ? 2 : 1

        self.read(outPipe.read, errors: false)
        if let errPipe { self.read(errPipe.read, errors: true) }
        if let inPipe, let input {
            Self.onOwnThread {
                input.withUnsafeBytes { bytes in
                    var offset = 0
                    while offset < bytes.count {
                        let written = write(inPipe.write, bytes.baseAddress! + offset, bytes.count - offset)
                        if written <= 0 { break }
                        offset += written
                    }
                }
                close(inPipe.write)
            }
        }
    }

    /// Reads `descriptor` to its end on a Dispatch thread, appending under the lock, then closes it (the reader
    /// keeps this object alive until then).
    private func read(_ descriptor: Int32, errors: Bool) {
        Self.onOwnThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                let chunk = Data(buffer[0..<count])
                self.lock.withLock {
                    if errors { self.errorOutput.append(chunk) } else { self.output.append(chunk) }
                }
            }
            close(descriptor)
            let waiters: [CheckedContinuation<Void, Never>] = self.lock.withLock {
                self.readersLeft -= 1
                guard self.readersLeft == 0 else { return [] }
                defer { self.readersDone = [] }
                return self.readersDone
            }
            waiters.forEach { $0.resume() }
        }
    }

    /// Runs `body` on a thread of its own: blocking reads and writes must not hold one of Dispatch's few worker
    /// threads (a test run with dozens of long-running commands starved the pool, and with it everything else that
    /// runs there).
    private static func onOwnThread(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// Standard output so far (with standard error, unless kept apart).
    public var text: String { lock.withLock { String(decoding: output, as: UTF8.self) } }
    /// Standard error so far, when kept apart.
    public var errorText: String { lock.withLock { String(decoding: errorOutput, as: UTF8.self) } }

    /// Whether the command still runs (it is reaped here once it ended).
    public var isRunning: Bool { self.reap() == nil }

    /// The exit status (128 + signal number when a signal ended it); only once it ended.
    public var terminationStatus: Int32 { self.reap() ?? -1 }

    /// The exit status once the command ended (reaped on the first call after), `nil` while it runs.
    private func reap() -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        let result = waitpid(self.processIdentifier, &status, WNOHANG)
        guard result == self.processIdentifier else { return nil }
        let signal = status & 0x7f
        exitStatus = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        return exitStatus
    }

    /// Sends SIGTERM.
    public func terminate() { kill(self.processIdentifier, SIGTERM) }

    /// Waits (without holding a thread) until the command ended and its output was read to the end; its status.
    @discardableResult
    public func waitForExit(timeout: Duration? = nil) async -> Int32 {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while isRunning {
            if let deadline, ContinuousClock.now > deadline {
                terminate()
                if ContinuousClock.now > deadline + .seconds(2) { kill(self.processIdentifier, SIGKILL) }
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        await withCheckedContinuation { continuation in
            let done = lock.withLock {
                if readersLeft == 0 { return true }
                readersDone.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        return terminationStatus
    }

    /// Blocks this thread until the command ended and its output was read to the end (for synchronous helpers;
    /// asynchronous code uses ``waitForExit(timeout:)``); its status.
    @discardableResult
    public func waitUntilExit() -> Int32 {
        while isRunning { usleep(1_000) }
        while lock.withLock({ readersLeft > 0 }) { usleep(1_000) }
        return terminationStatus
    }

    deinit {
        // A command nobody waited for: reap it so it does not stay a zombie.
        if exitStatus == nil {
            var status: Int32 = 0
            if waitpid(self.processIdentifier, &status, WNOHANG) == 0 {
                kill(self.processIdentifier, SIGKILL)
                waitpid(self.processIdentifier, &status, 0)
            }
        }
    }
}
