public import Foundation

extension FileHandle {
    /// Calls `receive` with each chunk of a child process's output as it arrives, and stops at the end of the file.
    ///
    /// A `readabilityHandler` left in place after the end is called again and again with empty data (the dispatch
    /// source stays readable), and its source can fire while the handle is being released, which crashed libdispatch
    /// once in a full test run. Here the handler removes itself at the end.
    public func readChunks(_ receive: @escaping @Sendable (Data) -> Void) {
        self.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
            } else {
                receive(data)
            }
        }
    }
}
