import CSQLite
import Glibc

struct SQLiteError: Error, CustomStringConvertible {
    let code: Int32
    let description: String
    var isConstraintViolation: Bool { code & 0xFF == SQLITE_CONSTRAINT }
}

/// A thin, synchronous SQLite connection. Not thread-safe: its owner serialises all use.
final class SQLiteDatabase {
    private var handle: OpaquePointer?

    init(path: String) throws {
        let status = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw SQLiteError(code: status, description: "cannot open \(path): \(message)")
        }
        // Another process on the same file waits rather than failing with SQLITE_BUSY at once.
        sqlite3_busy_timeout(handle, 5_000)
    }

    deinit { sqlite3_close(handle) }

    /// Runs one or more statements without results.
    func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &error)
        guard status == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? "error \(status)"
            sqlite3_free(error)
            throw SQLiteError(code: status, description: message)
        }
    }

    /// Runs `sql` with `parameters` and returns every row.
    @discardableResult
    func query(_ sql: String, _ parameters: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else { throw lastError() }
        defer { sqlite3_finalize(statement) }
        for (index, value) in parameters.enumerated() { value.bind(to: statement, at: Int32(index + 1)) }
        var rows: [[SQLiteValue]] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return rows }
            guard status == SQLITE_ROW else { throw lastError() }
            rows.append((0..<sqlite3_column_count(statement)).map { SQLiteValue(statement, column: $0) })
        }
    }

    /// Runs `body` in a write transaction taken up front (BEGIN IMMEDIATE), so check-then-insert
    /// sequences are atomic even against other connections to the same file.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    private func lastError() -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(handle), description: String(cString: sqlite3_errmsg(handle)))
    }
}

/// The column and parameter values this backend uses.
enum SQLiteValue: Equatable {
    case integer(Int64)
    case text(String)
    case null

    init(_ statement: OpaquePointer?, column: Int32) {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: self = .integer(sqlite3_column_int64(statement, column))
        case SQLITE_NULL: self = .null
        default: self = .text(String(cString: sqlite3_column_text(statement, column)))
        }
    }

    fileprivate func bind(to statement: OpaquePointer?, at index: Int32) {
        switch self {
        case .integer(let value): sqlite3_bind_int64(statement, index, value)
        case .null: sqlite3_bind_null(statement, index)
        // strdup + free as destructor: SQLite owns the copy (SQLITE_TRANSIENT is a cast macro Swift cannot import).
        case .text(let value): sqlite3_bind_text(statement, index, strdup(value), -1, free)
        }
    }

    var int: Int? { if case .integer(let value) = self { Int(value) } else { nil } }
    var string: String? { if case .text(let value) = self { value } else { nil } }
}
