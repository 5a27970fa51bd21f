import CJail
import Glibc

/// Owns the C memory of one `cj_spec` (strings, arrays) until the spawn returns. Built by the
/// parent before the clone so that the child only reads prepared memory.
final class CSpec {
    private var allocations: [UnsafeMutableRawPointer] = []
    var spec = cj_spec()

    deinit {
        for pointer in allocations { free(pointer) }
    }

    /// A NUL-terminated copy of `bytes` that lives as long as this object.
    func cString<S: Collection>(_ bytes: S) -> UnsafeMutablePointer<CChar> where S.Element == UInt8 {
        let memory = malloc(bytes.count + 1)!
        allocations.append(memory)
        let pointer = memory.bindMemory(to: UInt8.self, capacity: bytes.count + 1)
        var index = 0
        for byte in bytes {
            pointer[index] = byte
            index += 1
        }
        pointer[index] = 0
        return memory.bindMemory(to: CChar.self, capacity: bytes.count + 1)
    }

    func cString(_ text: String) -> UnsafeMutablePointer<CChar> { cString(Array(text.utf8)) }

    /// A NULL-terminated array of C strings.
    func cStringArray(_ items: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let array = allocate(UnsafeMutablePointer<CChar>?.self, count: items.count + 1)
        for (index, item) in items.enumerated() { array[index] = cString(item) }
        array[items.count] = nil
        return array
    }

    /// Uninitialized memory for `count` values that lives as long as this object.
    func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let memory = malloc(max(1, count) * MemoryLayout<T>.stride)!
        allocations.append(memory)
        return memory.bindMemory(to: T.self, capacity: max(1, count))
    }

    /// Copies raw bytes (the BPF program).
    func bytes(_ data: [UInt8]) -> UnsafeRawPointer {
        let memory = malloc(max(1, data.count))!
        allocations.append(memory)
        data.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: data.count) }
        return UnsafeRawPointer(memory)
    }
}
