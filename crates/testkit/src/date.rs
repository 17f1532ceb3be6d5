//! Calendar arithmetic for RFC 5322 dates, without a date crate.

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats a Unix time as an RFC 5322 date in the given zone (offset in minutes east of UTC),
/// e.g. `Tue, 14 Nov 2023 09:12:33 +0100`.
pub(crate) fn format_rfc5322(unix: i64, offset_minutes: i32) -> String {
    let local = unix + i64::from(offset_minutes) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.unsigned_abs();
    format!(
        "{weekday}, {day} {} {year} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        MONTHS[(month - 1) as usize],
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        off / 60,
        off % 60
    )
}

/// A short human date for quoting lines, e.g. `14 Nov 2023 09:12`.
pub(crate) fn format_short(unix: i64, offset_minutes: i32) -> String {
    let local = unix + i64::from(offset_minutes) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{day} {} {year} {:02}:{:02}",
        MONTHS[(month - 1) as usize],
        secs / 3600,
        secs % 3600 / 60
    )
}

/// Parses an RFC 5322 date (`[Day,] DD Mon YYYY HH:MM[:SS] zone`, including the obsolete zone
/// names) into a Unix time. Returns `None` when it cannot make sense of it.
pub fn parse_rfc5322(s: &str) -> Option<i64> {
    // Drop comments such as "(CET)" and the day name.
    let mut cleaned = String::with_capacity(s.len());
    let mut depth = 0u32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => cleaned.push(c),
            _ => {}
        }
    }
    let rest = match cleaned.find(',') {
        Some(i) => &cleaned[i + 1..],
        None => cleaned.as_str(),
    };
    let mut parts = rest.split_whitespace();
    let day: u32 = parts.next()?.parse().ok()?;
    let month_name = parts.next()?;
    let month_prefix = month_name.get(..3)?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(month_prefix))? as u32
        + 1;
    let mut year: i64 = parts.next()?.parse().ok()?;
    if year < 50 {
        year += 2000;
    } else if year < 1000 {
        year += 1900;
    }
    let time = parts.next()?;
    let mut hms = time.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let m: i64 = hms.next()?.parse().ok()?;
    let sec: i64 = match hms.next() {
        Some(x) => x.parse().ok()?,
        None => 0,
    };
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let offset_minutes: i64 = match parts.next() {
        None => 0,
        Some(z) => zone_offset(z)?,
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + h * 3600 + m * 60 + sec - offset_minutes * 60)
}

fn zone_offset(z: &str) -> Option<i64> {
    let b = z.as_bytes();
    if b.len() == 5 && (b[0] == b'+' || b[0] == b'-') && b[1..].iter().all(u8::is_ascii_digit) {
        let hh: i64 = z[1..3].parse().ok()?;
        let mm: i64 = z[3..5].parse().ok()?;
        let v = hh * 60 + mm;
        return Some(if b[0] == b'-' { -v } else { v });
    }
    Some(match z.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "EST" => -300,
        "EDT" => -240,
        "CST" => -360,
        "CDT" => -300,
        "MST" => -420,
        "MDT" => -360,
        "PST" => -480,
        "PDT" => -420,
        _ => 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 365, 10_957, 19_675, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn format_and_parse() {
        // 2023-11-14 08:12:33 UTC
        let t = 1_699_949_553;
        let s = format_rfc5322(t, 60);
        assert_eq!(s, "Tue, 14 Nov 2023 09:12:33 +0100");
        assert_eq!(parse_rfc5322(&s), Some(t));
        assert_eq!(parse_rfc5322("14 Nov 2023 08:12:33 GMT"), Some(t));
        assert_eq!(
            parse_rfc5322("Tue, 14 Nov 2023 17:12:33 +0900 (JST)"),
            Some(t)
        );
        assert_eq!(parse_rfc5322("Mon, 13 Nov 2023 22:12 -1000"), Some(t - 33));
        assert_eq!(parse_rfc5322("garbage"), None);
        assert_eq!(format_rfc5322(0, -300), "Wed, 31 Dec 1969 19:00:00 -0500");
    }
}
