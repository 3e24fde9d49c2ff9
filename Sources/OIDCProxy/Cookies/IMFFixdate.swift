/// Formats `IMF-fixdate` (RFC 9110 §5.6.7), the date form of the `Expires` attribute:
/// `Sun, 06 Nov 1994 08:49:37 GMT`.
enum IMFFixdate {
    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The latest instant with a four-digit year: 9999-12-31T23:59:59Z.
    static let latestSeconds: Int64 = 253_402_300_799

    /// Formats `secondsSince1970` (whole seconds, UTC), clamped to 1970-01-01 ... 9999-12-31.
    static func format(secondsSince1970: Int64) -> String {
        let seconds = min(max(secondsSince1970, 0), self.latestSeconds)
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400

        // Civil date from a day count (H. Hinnant, "chrono-compatible low-level date algorithms").
        let shifted = days + 719_468
        let era = shifted / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        let weekday = self.weekdays[Int(days % 7)]
        let monthName = self.months[Int(month - 1)]
        return "\(weekday), \(self.twoDigits(day)) \(monthName) \(year) "
            + "\(self.twoDigits(secondOfDay / 3_600)):\(self.twoDigits(secondOfDay / 60 % 60)):\(self.twoDigits(secondOfDay % 60)) GMT"
    }

    private static func twoDigits(_ value: Int64) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
