//! Hungarian public holidays and working days: statutory case deadlines count working
//! days, and offices are closed on public holidays.
//!
//! Holidays follow the Labour Code (Mt. 102. §): 1 January, 15 March, Good Friday, Easter
//! Sunday and Monday, 1 May, Whit Sunday and Monday, 20 August, 23 October, 1 November,
//! 25 and 26 December. Swapped working days ordered by decree each year are not modelled;
//! an office's own closed days cover them.

use jiff::civil::{Date, Weekday, date};

/// Easter Sunday of `year` (Gregorian computus).
pub fn easter_sunday(year: i16) -> Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    date(year, month as i8, day as i8)
}

/// The public holidays of `year`, in order.
pub fn public_holidays(year: i16) -> Vec<Date> {
    let easter = easter_sunday(year);
    let shifted = |days: i32| {
        easter
            .checked_add(jiff::Span::new().days(days))
            .unwrap_or(easter)
    };
    let mut days = vec![
        date(year, 1, 1),
        date(year, 3, 15),
        shifted(-2),
        easter,
        shifted(1),
        date(year, 5, 1),
        shifted(49),
        shifted(50),
        date(year, 8, 20),
        date(year, 10, 23),
        date(year, 11, 1),
        date(year, 12, 25),
        date(year, 12, 26),
    ];
    days.sort();
    days
}

/// Whether `day` is a Hungarian public holiday.
pub fn is_public_holiday(day: Date) -> bool {
    public_holidays(day.year()).contains(&day)
}

/// Monday to Friday and not a public holiday.
pub fn is_working_day(day: Date) -> bool {
    !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) && !is_public_holiday(day)
}

/// The `n`th working day after `start`, which itself is never counted, whether it is a
/// working day or not (`n = 0` gives `start` itself if it is a working day, else the next
/// one). So for `n >= 1`, `working_days_between(start, add_working_days(start, n))` is `n`.
pub fn add_working_days(start: Date, n: u32) -> Date {
    let mut day = start;
    let mut left = n;
    while left > 0 || !is_working_day(day) {
        let next = day.tomorrow().unwrap_or(day);
        if next == day {
            break;
        }
        day = next;
        if left > 0 && is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// Working days from `from` (exclusive) to `to` (inclusive); negative if `to` is earlier.
pub fn working_days_between(from: Date, to: Date) -> i64 {
    let (lo, hi, sign) = if from <= to {
        (from, to, 1)
    } else {
        (to, from, -1)
    };
    let mut count = 0i64;
    let mut day = lo;
    while day < hi {
        day = day.tomorrow().unwrap_or(hi);
        if is_working_day(day) {
            count += 1;
        }
    }
    sign * count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_dates_match_the_calendar() {
        assert_eq!(easter_sunday(2024), date(2024, 3, 31));
        assert_eq!(easter_sunday(2025), date(2025, 4, 20));
        assert_eq!(easter_sunday(2026), date(2026, 4, 5));
        assert_eq!(easter_sunday(2027), date(2027, 3, 28));
    }

    #[test]
    fn hungarian_holidays_of_2026() {
        let h = public_holidays(2026);
        assert!(h.contains(&date(2026, 4, 3)), "Good Friday");
        assert!(h.contains(&date(2026, 4, 6)), "Easter Monday");
        assert!(h.contains(&date(2026, 5, 25)), "Whit Monday");
        assert!(h.contains(&date(2026, 10, 23)));
        assert!(!is_working_day(date(2026, 8, 20)));
        assert!(is_working_day(date(2026, 8, 21)));
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // Thu 22 Oct 2026 + 1 working day: Fri 23 Oct is a holiday, then the weekend.
        assert_eq!(add_working_days(date(2026, 10, 22), 1), date(2026, 10, 26));
        assert_eq!(add_working_days(date(2026, 11, 24), 0), date(2026, 11, 24));
        assert_eq!(
            working_days_between(date(2026, 10, 22), date(2026, 10, 26)),
            1
        );
        assert_eq!(
            working_days_between(date(2026, 10, 26), date(2026, 10, 22)),
            -1
        );
        // 22 Dec 2026 + 3: 23, 24 Dec, then 25-27 closed, 28 Dec.
        assert_eq!(add_working_days(date(2026, 12, 22), 3), date(2026, 12, 28));
    }

    #[test]
    fn a_weekend_start_counts_from_the_next_working_day_as_the_first() {
        // Sat 5 Dec 2026 + 8: Mon 7 is the first, Wed 16 the eighth, as from Fri 4 Dec.
        let saturday = date(2026, 12, 5);
        assert_eq!(add_working_days(saturday, 8), date(2026, 12, 16));
        assert_eq!(add_working_days(date(2026, 12, 4), 8), date(2026, 12, 16));
        assert_eq!(add_working_days(saturday, 0), date(2026, 12, 7));
        for n in 1..30 {
            for start in [
                saturday,
                date(2026, 10, 23),
                date(2026, 12, 24),
                date(2026, 12, 9),
            ] {
                let due = add_working_days(start, n);
                assert!(is_working_day(due), "{start} + {n}");
                assert_eq!(
                    working_days_between(start, due),
                    i64::from(n),
                    "{start} + {n}"
                );
            }
        }
    }
}
