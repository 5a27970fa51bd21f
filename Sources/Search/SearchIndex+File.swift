import SystemCalls

extension SearchIndex {
    /// Writes the index to `path` atomically: a temporary file beside it (0644), flushed to disk, then
    /// renamed over `path`. A reader sees the old file or the new one, never a part.
    ///
    /// - Throws: ``SearchError`` with code `indexUnwritable`, naming the path and the failed step.
    public func write(to path: String) throws(SearchError) {
        let temporary = path + ".tmp-\(SystemCall.monotonicNanoseconds())"
        do {
            let fd = try SystemCall.open(temporary, [.writeOnly, .create, .exclusive, .noFollow], permissions: 0o644)
            defer { SystemCall.close(fd) }
            try SystemCall.writeAll(fd, UnsafeRawBufferPointer(image.memory), step: "write \(temporary)")
            try SystemCall.synchronize(fd, step: "fsync \(temporary)")
            try SystemCall.rename(temporary, to: path)
        } catch {
            try? SystemCall.unlink(temporary)
            throw SearchError(.indexUnwritable, "cannot write the search index \(path): \(error)")
        }
    }

    /// Loads the index at `path`: one read into memory, then every bound checked (a corrupt or
    /// truncated file is refused, never read out of bounds).
    ///
    /// - Throws: ``SearchError`` with code `indexUnreadable` naming the file and why.
    public static func load(path: String) throws(SearchError) -> SearchIndex {
        func fail(_ message: String) -> SearchError {
            SearchError(.indexUnreadable, "search index \(path): \(message)")
        }
        let fd: Int32
        do {
            fd = try SystemCall.open(path, [.noFollow])
        } catch {
            throw fail("\(error)")
        }
        defer { SystemCall.close(fd) }
        var header = [UInt8](repeating: 0, count: IndexImage.headerBytes)
        let parsed: Result<(IndexImage.Counts, IndexImage.Header), SearchError>
        do {
            let size = try SystemCall.fileStatus(fd).size
            let got = try header.withUnsafeMutableBytes { buffer throws(SystemCallError) in
                try SystemCall.read(fd, into: buffer)
            }
            guard got == IndexImage.headerBytes else { throw fail("shorter than its header") }
            parsed = header.withUnsafeBytes { IndexImage.readHeader($0) }
            if case .success(let (counts, _)) = parsed, Int64(IndexImage.size(of: counts)) != size {
                throw fail("its size (\(size) bytes) does not match its header (\(IndexImage.size(of: counts)) bytes)")
            }
        } catch let error as SearchError {
            throw error
        } catch {
            throw fail("\(error)")
        }
        let (counts, fields): (IndexImage.Counts, IndexImage.Header)
        switch parsed {
        case .success(let value): (counts, fields) = value
        case .failure(let error): throw fail(error.message)
        }
        let image = IndexImage.allocate(counts: counts, header: fields)
        var offset = 0
        let memory = image.memory
        while offset < memory.count {
            let chunk = UnsafeMutableRawBufferPointer(rebasing: memory[offset..<min(memory.count, offset + (8 << 20))])
            let got: Int
            do {
                try SystemCall.seek(fd, to: Int64(offset))
                got = try SystemCall.read(fd, into: chunk)
            } catch {
                throw fail("\(error)")
            }
            guard got > 0 else { throw fail("truncated at byte \(offset)") }
            offset += got
        }
        // The header read again with the body must be the one checked.
        guard memory.loadUnaligned(as: UInt64.self) == IndexImage.magic else { throw fail("changed while read") }
        if let problem = image.validate() { throw fail(problem.message) }
        return SearchIndex(image: image)
    }
}
