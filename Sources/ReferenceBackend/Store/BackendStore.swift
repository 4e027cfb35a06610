import Foundation

/// The backend's mutable state — refunds, payment plans, escalations — in SQLite, so it survives
/// restarts. Uniqueness is the database's job (UNIQUE order_id / customer_id), not the caller's.
/// Not thread-safe: `ReferenceBackend` calls it from one serial queue.
final class BackendStore {
    struct Refund {
        let refundID, orderID, reason, status, createdAt: String
        let amount: Money
    }
    struct PaymentPlan {
        let planID, customerID, firstPaymentDate, createdAt: String
        let months: Int
        let monthlyAmount: Money
    }
    struct Escalation {
        let ticketID, department, createdAt: String
        let position: Int
    }
    /// A create that may find the row already there.
    enum Outcome<Row> {
        case created(Row)
        case existing(Row)
    }

    let db: SQLiteDatabase

    init(directory: String, catalog: Catalog) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        db = try SQLiteDatabase(path: directory + "/support-backend.sqlite3")
        try db.execute("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            CREATE TABLE IF NOT EXISTS refunds (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL UNIQUE,
                amount_cents INTEGER NOT NULL, reason TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS payment_plans (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, customer_id TEXT NOT NULL UNIQUE, months INTEGER NOT NULL,
                monthly_cents INTEGER NOT NULL, first_payment_date TEXT NOT NULL, created_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS escalations (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, department TEXT NOT NULL, caller TEXT NOT NULL,
                reason TEXT NOT NULL, session_id TEXT, created_at TEXT NOT NULL);
            """)
        try seed(catalog)
    }

    /// Inserts the fixture's historical refunds and plans; INSERT OR IGNORE makes restarts no-ops.
    private func seed(_ catalog: Catalog) throws {
        try db.transaction {
            for (orderID, refund) in catalog.seededRefunds {
                try db.query("INSERT OR IGNORE INTO refunds (seq, order_id, amount_cents, reason, status, created_at) VALUES (?, ?, ?, ?, 'completed', ?)",
                             [.integer(Int64(sequenceNumber(of: refund.refundId) ?? 0)), .text(orderID),
                              .integer(Int64(Money(refund.amount).cents)), .text(refund.reason),
                              .text(Timestamps.instant(catalog.daysAgo(refund.daysAgo)))])
            }
            for (customerID, plan) in catalog.seededPlans {
                let balance = catalog.customers[customerID]?.balance ?? .zero
                let created = catalog.daysAgo(plan.daysAgo)
                try db.query("INSERT OR IGNORE INTO payment_plans (seq, customer_id, months, monthly_cents, first_payment_date, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                             [.integer(Int64(sequenceNumber(of: plan.planId) ?? 0)), .text(customerID), .integer(Int64(plan.months)),
                              .integer(Int64(balance.dividedRoundingUp(plan.months).cents)),
                              .text(Timestamps.day(created.addingTimeInterval(30 * 86_400))), .text(Timestamps.instant(created))])
            }
        }
    }

    // MARK: refunds

    func refund(forOrder orderID: String) throws -> Refund? {
        try db.query("SELECT seq, order_id, amount_cents, reason, status, created_at FROM refunds WHERE order_id = ?", [.text(orderID)])
            .first.map { row in
                Refund(refundID: displayID("RF", row[0].int ?? 0), orderID: row[1].string ?? "", reason: row[3].string ?? "",
                       status: row[4].string ?? "", createdAt: row[5].string ?? "", amount: Money(cents: row[2].int ?? 0))
            }
    }

    /// Records an approved refund unless the order already has one — atomically.
    func createRefund(orderID: String, amount: Money, reason: String, at now: Date) throws -> Outcome<Refund> {
        do {
            return try db.transaction {
                if let existing = try refund(forOrder: orderID) { return .existing(existing) }
                try db.query("INSERT INTO refunds (order_id, amount_cents, reason, status, created_at) VALUES (?, ?, ?, 'approved', ?)",
                             [.text(orderID), .integer(Int64(amount.cents)), .text(reason), .text(Timestamps.instant(now))])
                return .created(Refund(refundID: displayID("RF", Int(db.lastInsertRowID)), orderID: orderID, reason: reason,
                                       status: "approved", createdAt: Timestamps.instant(now), amount: amount))
            }
        } catch let error as SQLiteError where error.isConstraintViolation {
            // Another writer to the same file won the race between our check and insert.
            guard let existing = try refund(forOrder: orderID) else { throw error }
            return .existing(existing)
        }
    }

    // MARK: payment plans

    func paymentPlan(forCustomer customerID: String) throws -> PaymentPlan? {
        try db.query("SELECT seq, customer_id, months, monthly_cents, first_payment_date, created_at FROM payment_plans WHERE customer_id = ?", [.text(customerID)])
            .first.map { row in
                PaymentPlan(planID: displayID("PP", row[0].int ?? 0), customerID: row[1].string ?? "",
                            firstPaymentDate: row[4].string ?? "", createdAt: row[5].string ?? "",
                            months: row[2].int ?? 0, monthlyAmount: Money(cents: row[3].int ?? 0))
            }
    }

    func createPaymentPlan(customerID: String, months: Int, monthlyAmount: Money, firstPaymentDate: String, at now: Date) throws -> Outcome<PaymentPlan> {
        do {
            return try db.transaction {
                if let existing = try paymentPlan(forCustomer: customerID) { return .existing(existing) }
                try db.query("INSERT INTO payment_plans (customer_id, months, monthly_cents, first_payment_date, created_at) VALUES (?, ?, ?, ?, ?)",
                             [.text(customerID), .integer(Int64(months)), .integer(Int64(monthlyAmount.cents)),
                              .text(firstPaymentDate), .text(Timestamps.instant(now))])
                return .created(PaymentPlan(planID: displayID("PP", Int(db.lastInsertRowID)), customerID: customerID,
                                            firstPaymentDate: firstPaymentDate, createdAt: Timestamps.instant(now),
                                            months: months, monthlyAmount: monthlyAmount))
            }
        } catch let error as SQLiteError where error.isConstraintViolation {
            guard let existing = try paymentPlan(forCustomer: customerID) else { throw error }
            return .existing(existing)
        }
    }

    // MARK: escalations

    /// Queues a ticket; its position is its place in the department's queue.
    func escalate(department: String, caller: String, reason: String, sessionID: String?, at now: Date) throws -> Escalation {
        try db.transaction {
            try db.query("INSERT INTO escalations (department, caller, reason, session_id, created_at) VALUES (?, ?, ?, ?, ?)",
                         [.text(department), .text(caller), .text(reason), sessionID.map(SQLiteValue.text) ?? .null, .text(Timestamps.instant(now))])
            let seq = Int(db.lastInsertRowID)
            let position = try db.query("SELECT COUNT(*) FROM escalations WHERE department = ?", [.text(department)]).first?.first?.int ?? 1
            return Escalation(ticketID: displayID("ESC", seq), department: department, createdAt: Timestamps.instant(now), position: position)
        }
    }
}
