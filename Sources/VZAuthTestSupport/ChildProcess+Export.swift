/// Tests start commands with ``ProcessSupport/ChildProcess`` (posix_spawn, not Foundation's Process).
@_exported public import ProcessSupport
