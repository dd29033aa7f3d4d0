//! Dutch public holidays as pure date arithmetic: Easter by the anonymous
//! Gregorian algorithm and every holiday derived from it or from a fixed
//! date. Invariant: [`dutch_holidays`] lists every holiday Loket knows for a
//! year, whatever an organisation closes on; choosing which ones close the
//! office is the job of the configuration.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Serialize;

/// A Dutch public holiday (*feestdag*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Holiday {
    /// 1 January.
    Nieuwjaarsdag,
    /// Good Friday, Easter − 2; a day off for some employers only.
    GoedeVrijdag,
    /// Easter Sunday.
    EerstePaasdag,
    /// Easter Monday.
    TweedePaasdag,
    /// King's Day, 27 April, or 26 April when the 27th is a Sunday.
    Koningsdag,
    /// Liberation Day, 5 May; many organisations close only every fifth year.
    Bevrijdingsdag,
    /// Ascension Day, Easter + 39.
    Hemelvaartsdag,
    /// Whit Sunday, Easter + 49.
    EerstePinksterdag,
    /// Whit Monday, Easter + 50.
    TweedePinksterdag,
    /// Christmas Day, 25 December.
    EersteKerstdag,
    /// Boxing Day, 26 December.
    TweedeKerstdag,
}

impl Holiday {
    /// Every holiday, in calendar order (Bevrijdingsdag before
    /// Hemelvaartsdag, which may fall on the same day).
    pub const ALL: [Holiday; 11] = [
        Holiday::Nieuwjaarsdag,
        Holiday::GoedeVrijdag,
        Holiday::EerstePaasdag,
        Holiday::TweedePaasdag,
        Holiday::Koningsdag,
        Holiday::Bevrijdingsdag,
        Holiday::Hemelvaartsdag,
        Holiday::EerstePinksterdag,
        Holiday::TweedePinksterdag,
        Holiday::EersteKerstdag,
        Holiday::TweedeKerstdag,
    ];

    /// The key used in `hours.toml` (`holidays.closed`), e.g. `"eerste_kerstdag"`.
    pub fn key(self) -> &'static str {
        match self {
            Holiday::Nieuwjaarsdag => "nieuwjaarsdag",
            Holiday::GoedeVrijdag => "goede_vrijdag",
            Holiday::EerstePaasdag => "eerste_paasdag",
            Holiday::TweedePaasdag => "tweede_paasdag",
            Holiday::Koningsdag => "koningsdag",
            Holiday::Bevrijdingsdag => "bevrijdingsdag",
            Holiday::Hemelvaartsdag => "hemelvaartsdag",
            Holiday::EerstePinksterdag => "eerste_pinksterdag",
            Holiday::TweedePinksterdag => "tweede_pinksterdag",
            Holiday::EersteKerstdag => "eerste_kerstdag",
            Holiday::TweedeKerstdag => "tweede_kerstdag",
        }
    }

    /// The holiday for a configuration key, `None` for an unknown key.
    pub fn from_key(key: &str) -> Option<Holiday> {
        Holiday::ALL
            .into_iter()
            .find(|holiday| holiday.key() == key)
    }

    /// The Dutch name as shown to citizens and editors, e.g. "Eerste Kerstdag".
    pub fn dutch_name(self) -> &'static str {
        match self {
            Holiday::Nieuwjaarsdag => "Nieuwjaarsdag",
            Holiday::GoedeVrijdag => "Goede Vrijdag",
            Holiday::EerstePaasdag => "Eerste Paasdag",
            Holiday::TweedePaasdag => "Tweede Paasdag",
            Holiday::Koningsdag => "Koningsdag",
            Holiday::Bevrijdingsdag => "Bevrijdingsdag",
            Holiday::Hemelvaartsdag => "Hemelvaartsdag",
            Holiday::EerstePinksterdag => "Eerste Pinksterdag",
            Holiday::TweedePinksterdag => "Tweede Pinksterdag",
            Holiday::EersteKerstdag => "Eerste Kerstdag",
            Holiday::TweedeKerstdag => "Tweede Kerstdag",
        }
    }

    /// The English name, e.g. "Christmas Day".
    pub fn english_name(self) -> &'static str {
        match self {
            Holiday::Nieuwjaarsdag => "New Year's Day",
            Holiday::GoedeVrijdag => "Good Friday",
            Holiday::EerstePaasdag => "Easter Sunday",
            Holiday::TweedePaasdag => "Easter Monday",
            Holiday::Koningsdag => "King's Day",
            Holiday::Bevrijdingsdag => "Liberation Day",
            Holiday::Hemelvaartsdag => "Ascension Day",
            Holiday::EerstePinksterdag => "Whit Sunday",
            Holiday::TweedePinksterdag => "Whit Monday",
            Holiday::EersteKerstdag => "Christmas Day",
            Holiday::TweedeKerstdag => "Boxing Day",
        }
    }

    /// The date of this holiday in `year`, `None` only for years outside
    /// chrono's range (about ±262,000).
    pub fn date_in(self, year: i32) -> Option<NaiveDate> {
        let fixed = |month, day| NaiveDate::from_ymd_opt(year, month, day);
        let from_easter = |offset: i64| {
            let easter = easter_date(year)?;
            if offset >= 0 {
                easter.checked_add_days(Days::new(offset.unsigned_abs()))
            } else {
                easter.checked_sub_days(Days::new(offset.unsigned_abs()))
            }
        };
        match self {
            Holiday::Nieuwjaarsdag => fixed(1, 1),
            Holiday::GoedeVrijdag => from_easter(-2),
            Holiday::EerstePaasdag => from_easter(0),
            Holiday::TweedePaasdag => from_easter(1),
            Holiday::Koningsdag => {
                // Since 2014 the King's birthday, moved to Saturday the 26th
                // when the 27th is a Sunday (Sunday rest).
                let day = fixed(4, 27)?;
                if day.weekday() == Weekday::Sun {
                    fixed(4, 26)
                } else {
                    Some(day)
                }
            }
            Holiday::Bevrijdingsdag => fixed(5, 5),
            Holiday::Hemelvaartsdag => from_easter(39),
            Holiday::EerstePinksterdag => from_easter(49),
            Holiday::TweedePinksterdag => from_easter(50),
            Holiday::EersteKerstdag => fixed(12, 25),
            Holiday::TweedeKerstdag => fixed(12, 26),
        }
    }
}

/// Easter Sunday in the Gregorian calendar (anonymous Gregorian algorithm,
/// also known as Meeus/Jones/Butcher), for any year chrono can represent.
/// For a year beyond that range the nearest representable date is returned
/// rather than panicking, since no opening hours are ever that far away.
pub fn easter_sunday(year: i32) -> NaiveDate {
    easter_date(year).unwrap_or(if year < 0 {
        NaiveDate::MIN
    } else {
        NaiveDate::MAX
    })
}

/// Easter as an `Option`, so holiday arithmetic can use `?`.
fn easter_date(year: i32) -> Option<NaiveDate> {
    // Euclidean remainders keep the algorithm right for years before 1 AD
    // (proleptic Gregorian), where `%` would go negative.
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// Every Dutch public holiday of `year` with its date, sorted by date,
/// regardless of which ones an organisation closes on. Bevrijdingsdag is
/// listed every year; the lustrum rule is a configuration choice.
pub fn dutch_holidays(year: i32) -> Vec<(NaiveDate, Holiday)> {
    let mut holidays: Vec<(NaiveDate, Holiday)> = Holiday::ALL
        .into_iter()
        .filter_map(|holiday| holiday.date_in(year).map(|date| (date, holiday)))
        .collect();
    holidays.sort();
    holidays
}

/// The holidays falling on `date` (usually none, at most two: Hemelvaartsdag
/// can fall on 5 May).
pub fn holidays_on(date: NaiveDate) -> Vec<Holiday> {
    dutch_holidays(date.year())
        .into_iter()
        .filter(|(day, _)| *day == date)
        .map(|(_, holiday)| holiday)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid test date")
    }

    fn holiday_date(year: i32, holiday: Holiday) -> NaiveDate {
        dutch_holidays(year)
            .into_iter()
            .find(|(_, h)| *h == holiday)
            .map(|(d, _)| d)
            .expect("every holiday exists every year")
    }

    #[test]
    fn easter_falls_on_the_known_sundays() {
        let known = [
            (2024, date(2024, 3, 31)),
            (2025, date(2025, 4, 20)),
            (2026, date(2026, 4, 5)),
            (2027, date(2027, 3, 28)),
            (2028, date(2028, 4, 16)),
            (2030, date(2030, 4, 21)),
            // Extremes of the range: earliest (22 March) and latest (25 April).
            (2285, date(2285, 3, 22)),
            (2038, date(2038, 4, 25)),
            (1961, date(1961, 4, 2)),
        ];
        for (year, expected) in known {
            assert_eq!(easter_sunday(year), expected, "Easter {year}");
            assert_eq!(easter_sunday(year).weekday(), Weekday::Sun);
        }
    }

    #[test]
    fn ascension_and_whit_monday_follow_easter() {
        assert_eq!(
            holiday_date(2025, Holiday::Hemelvaartsdag),
            date(2025, 5, 29)
        );
        assert_eq!(
            holiday_date(2026, Holiday::Hemelvaartsdag),
            date(2026, 5, 14)
        );
        assert_eq!(
            holiday_date(2025, Holiday::TweedePinksterdag),
            date(2025, 6, 9)
        );
        assert_eq!(
            holiday_date(2026, Holiday::TweedePinksterdag),
            date(2026, 5, 25)
        );
        assert_eq!(holiday_date(2026, Holiday::GoedeVrijdag), date(2026, 4, 3));
        assert_eq!(holiday_date(2026, Holiday::TweedePaasdag), date(2026, 4, 6));
        assert_eq!(
            holiday_date(2026, Holiday::EerstePinksterdag),
            date(2026, 5, 24)
        );
    }

    #[test]
    fn kings_day_moves_to_saturday_when_the_27th_is_a_sunday() {
        assert_eq!(holiday_date(2025, Holiday::Koningsdag), date(2025, 4, 26));
        assert_eq!(holiday_date(2026, Holiday::Koningsdag), date(2026, 4, 27));
        assert_eq!(holiday_date(2031, Holiday::Koningsdag), date(2031, 4, 26));
    }

    #[test]
    fn a_year_has_eleven_holidays_in_date_order() {
        let holidays = dutch_holidays(2026);
        assert_eq!(holidays.len(), 11);
        assert!(holidays.windows(2).all(|pair| pair[0].0 <= pair[1].0));
        assert_eq!(holidays[0], (date(2026, 1, 1), Holiday::Nieuwjaarsdag));
        assert_eq!(holidays[10], (date(2026, 12, 26), Holiday::TweedeKerstdag));
    }

    #[test]
    fn ascension_can_fall_on_liberation_day() {
        // Easter 2016 was 27 March, so Hemelvaartsdag was 5 May.
        assert_eq!(
            holidays_on(date(2016, 5, 5)),
            vec![Holiday::Bevrijdingsdag, Holiday::Hemelvaartsdag]
        );
        assert!(holidays_on(date(2016, 5, 6)).is_empty());
    }

    #[test]
    fn holiday_keys_and_names_round_trip() {
        for holiday in Holiday::ALL {
            assert_eq!(Holiday::from_key(holiday.key()), Some(holiday));
        }
        assert_eq!(Holiday::from_key("kerstmis"), None);
        assert_eq!(Holiday::EersteKerstdag.dutch_name(), "Eerste Kerstdag");
        assert_eq!(Holiday::EersteKerstdag.english_name(), "Christmas Day");
        assert_eq!(Holiday::TweedePinksterdag.english_name(), "Whit Monday");
    }
}
