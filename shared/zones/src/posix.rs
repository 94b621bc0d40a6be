//! A POSIX TZ rule (`IST-2IDT,M3.4.4/26,M10.5.0`), as RFC 9636 (TZif)
//! section 3.3 extends POSIX: a standard offset, and optionally a daylight
//! one with the local times it starts and ends each year (`Mm.w.d`, `Jn`
//! or `n`, at a time that may be negative or past 24:00).

use chrono::{Datelike, Duration, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// UTC offsets in seconds (east positive).
    pub std: i32,
    pub dst: Option<Dst>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dst {
    pub offset: i32,
    pub start: (Day, i32),
    pub end: (Day, i32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Day {
    /// `Jn`: day 1-365, February 29 never counted.
    Julian(u16),
    /// `n`: day 0-365, February 29 counted in leap years.
    Zero(u16),
    /// `Mm.w.d`: weekday d (0 Sunday) of week w (5: the last) of month m.
    Month(u8, u8, u8),
}

struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.at += usize::from(hit);
        hit
    }

    fn number(&mut self) -> Option<i32> {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        std::str::from_utf8(&self.s[start..self.at]).ok()?.parse().ok()
    }

    fn name(&mut self) -> Option<()> {
        if self.eat(b'<') {
            while self.peek()? != b'>' {
                self.at += 1;
            }
            self.at += 1;
            return Some(());
        }
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            self.at += 1;
        }
        (self.at - start >= 3).then_some(())
    }

    /// `[+-]hh[:mm[:ss]]` in seconds.
    fn hms(&mut self) -> Option<i32> {
        let sign = if self.eat(b'-') {
            -1
        } else {
            self.eat(b'+');
            1
        };
        let mut seconds = self.number()? * 3600;
        if self.eat(b':') {
            seconds += self.number()? * 60;
            if self.eat(b':') {
                seconds += self.number()?;
            }
        }
        Some(sign * seconds)
    }

    fn day(&mut self) -> Option<(Day, i32)> {
        let day = if self.eat(b'J') {
            Day::Julian(u16::try_from(self.number()?).ok()?)
        } else if self.eat(b'M') {
            let m = self.number()?;
            self.eat(b'.').then_some(())?;
            let w = self.number()?;
            self.eat(b'.').then_some(())?;
            let d = self.number()?;
            Day::Month(u8::try_from(m).ok()?, u8::try_from(w).ok()?, u8::try_from(d).ok()?)
        } else {
            Day::Zero(u16::try_from(self.number()?).ok()?)
        };
        let time = if self.eat(b'/') { self.hms()? } else { 2 * 3600 };
        Some((day, time))
    }
}

impl Rule {
    pub fn parse(text: &str) -> Option<Rule> {
        let mut c = Cursor {
            s: text.as_bytes(),
            at: 0,
        };
        c.name()?;
        // POSIX offsets are west-positive.
        let std = -c.hms()?;
        if c.peek().is_none() {
            return Some(Rule { std, dst: None });
        }
        c.name()?;
        let offset = match c.peek() {
            Some(b',') | None => std + 3600,
            _ => -c.hms()?,
        };
        c.eat(b',').then_some(())?;
        let start = c.day()?;
        c.eat(b',').then_some(())?;
        let end = c.day()?;
        c.peek().is_none().then_some(())?;
        Some(Rule {
            std,
            dst: Some(Dst { offset, start, end }),
        })
    }

    /// The UTC offset at `utc` (unix seconds).
    pub fn offset_at(&self, utc: i64) -> i32 {
        let Some(dst) = self.dst else { return self.std };
        let year = chrono::DateTime::from_timestamp(utc + i64::from(self.std), 0).map_or(1970, |t| t.year());
        // Each transition is at a local time: the start in standard time,
        // the end in daylight time.
        let start = local_seconds(year, dst.start) - i64::from(self.std);
        let end = local_seconds(year, dst.end) - i64::from(dst.offset);
        let in_dst = if start < end {
            start <= utc && utc < end
        } else {
            !(end <= utc && utc < start)
        };
        if in_dst {
            dst.offset
        } else {
            self.std
        }
    }
}

/// Unix seconds of the local time a transition names in `year`, as if the
/// local clock were UTC.
fn local_seconds(year: i32, (day, time): (Day, i32)) -> i64 {
    let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).expect("a valid year");
    let date = match day {
        Day::Julian(n) => {
            // 1-365, February 29 skipped.
            let mut d = jan1 + Duration::days(i64::from(n) - 1);
            if jan1.leap_year() && n >= 60 {
                d += Duration::days(1);
            }
            d
        }
        Day::Zero(n) => jan1 + Duration::days(i64::from(n)),
        Day::Month(m, w, wd) => {
            let first = NaiveDate::from_ymd_opt(year, u32::from(m), 1).unwrap_or(jan1);
            let shift = (i64::from(wd) - i64::from(first.weekday().num_days_from_sunday())).rem_euclid(7);
            let mut d = first + Duration::days(shift + 7 * (i64::from(w.clamp(1, 5)) - 1));
            while d.month() != u32::from(m) {
                d -= Duration::days(7);
            }
            d
        }
    };
    date.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp() + i64::from(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_as_rfc_9636_writes_them() {
        assert_eq!(Rule::parse("UTC0"), Some(Rule { std: 0, dst: None }));
        assert_eq!(Rule::parse("<+0530>-5:30").unwrap().std, 5 * 3600 + 1800);
        let israel = Rule::parse("IST-2IDT,M3.4.4/26,M10.5.0").unwrap();
        assert_eq!(israel.std, 7200);
        let dst = israel.dst.unwrap();
        assert_eq!(
            (dst.offset, dst.start, dst.end.1),
            (10800, (Day::Month(3, 4, 4), 26 * 3600), 7200)
        );
        let new_york = Rule::parse("EST5EDT,M3.2.0,M11.1.0").unwrap();
        assert_eq!(new_york.dst.unwrap().offset, -4 * 3600);
        assert!(Rule::parse("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1").is_some());
        for bad in ["", "U0", "EST5EDT,M3.2.0", "IST-2IDT,M3.4.4/26,M10.5.0,", "EST"] {
            assert_eq!(Rule::parse(bad), None, "{bad}");
        }
    }
}
