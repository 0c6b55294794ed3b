//! Small values that must change as a whole: a moment with its offset, a position, a
//! check-in, a birthday. Stored as one string each, not as a map of fields, because
//! Automerge merges a map key by key: two devices correcting a birthday concurrently
//! (one to solar 8/25, the other to lunar 9/3) would otherwise leave solar 9/3 — a day
//! nobody entered. As one value, one of the two edits wins whole, on every device.

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};

use super::records::{Birthday, CheckIn};
use super::vocab::Calendar;
use super::{GeoPoint, LocalTime};

/// A value with a one-string form.
trait Atomic: Sized {
    /// What the string should look like, for errors.
    const EXPECTED: &'static str;

    fn encode(&self) -> String;

    fn decode(s: &str) -> Option<Self>;
}

macro_rules! atomic {
    ($($ty:ty),+) => {$(
        impl Reconcile for $ty {
            type Key<'a> = autosurgeon::reconcile::NoKey;

            fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
                reconciler.str(self.encode())
            }
        }

        impl Hydrate for $ty {
            fn hydrate_string(s: &'_ str) -> Result<Self, HydrateError> {
                <$ty as Atomic>::decode(s)
                    .ok_or_else(|| HydrateError::unexpected(<$ty as Atomic>::EXPECTED, format!("'{s}'")))
            }
        }
    )+};
}

atomic!(LocalTime, GeoPoint, CheckIn, Birthday);

impl Atomic for LocalTime {
    const EXPECTED: &'static str = "a time like 2026-11-27T10:30:00.000+08:00";

    fn encode(&self) -> String {
        match self.to_datetime() {
            Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
            // Out of chrono's range: kept exactly, and refused by the record's rules.
            None => format!("{}@{}", self.utc_ms, self.offset_min),
        }
    }

    fn decode(s: &str) -> Option<Self> {
        if let Some((ms, offset)) = s.split_once('@') {
            return Some(LocalTime {
                utc_ms: ms.parse().ok()?,
                offset_min: offset.parse().ok()?,
            });
        }
        let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
        Some(LocalTime::from_datetime(&t))
    }
}

fn numbers<const N: usize>(s: &str) -> Option<[f64; N]> {
    let parts: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>().ok())
        .collect::<Option<_>>()?;
    parts.try_into().ok()
}

impl Atomic for GeoPoint {
    const EXPECTED: &'static str = "a position like 31.23,121.47";

    fn encode(&self) -> String {
        format!("{},{}", self.lat, self.lon)
    }

    fn decode(s: &str) -> Option<Self> {
        let [lat, lon] = numbers(s)?;
        Some(GeoPoint { lat, lon })
    }
}

impl Atomic for CheckIn {
    const EXPECTED: &'static str =
        "a check-in like 31.23,121.47,25 (latitude, longitude, accuracy in metres)";

    fn encode(&self) -> String {
        format!("{},{},{}", self.lat, self.lon, self.accuracy_m)
    }

    fn decode(s: &str) -> Option<Self> {
        let [lat, lon, accuracy_m] = numbers(s)?;
        Some(CheckIn {
            lat,
            lon,
            accuracy_m,
        })
    }
}

impl Atomic for Birthday {
    const EXPECTED: &'static str =
        "a birthday like 'solar 03-21' or 'lunar 08-15' or 'lunar leap 06-01'";

    fn encode(&self) -> String {
        let leap = if self.leap_month { " leap" } else { "" };
        format!(
            "{}{leap} {:02}-{:02}",
            self.calendar.code(),
            self.month,
            self.day
        )
    }

    fn decode(s: &str) -> Option<Self> {
        let mut words = s.split(' ');
        let calendar = Calendar::parse(words.next()?)?;
        let mut date = words.next()?;
        let leap_month = date == "leap";
        if leap_month {
            date = words.next()?;
        }
        if words.next().is_some() {
            return None;
        }
        let (month, day) = date.split_once('-')?;
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !(digits(month) && digits(day)) {
            return None;
        }
        Some(Birthday {
            calendar,
            month: month.parse().ok()?,
            day: day.parse().ok()?,
            leap_month,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_its_string() {
        let t = LocalTime {
            utc_ms: 1_795_746_600_123,
            offset_min: 480,
        };
        assert_eq!(t.encode(), "2026-11-27T10:30:00.123+08:00");
        assert_eq!(LocalTime::decode(&t.encode()), Some(t));
        let odd = LocalTime {
            utc_ms: 5,
            offset_min: 100_000,
        };
        assert_eq!(LocalTime::decode(&odd.encode()), Some(odd));
        let p = GeoPoint {
            lat: 31.230_416,
            lon: -121.473_701_5,
        };
        assert_eq!(GeoPoint::decode(&p.encode()), Some(p));
        let c = CheckIn {
            lat: 1.5,
            lon: 2.25,
            accuracy_m: 12.0,
        };
        assert_eq!(CheckIn::decode(&c.encode()), Some(c));
        for b in [
            Birthday {
                calendar: Calendar::Lunar,
                month: 6,
                day: 1,
                leap_month: true,
            },
            Birthday {
                calendar: Calendar::Solar,
                month: 12,
                day: 31,
                leap_month: false,
            },
        ] {
            assert_eq!(Birthday::decode(&b.encode()), Some(b));
        }
    }

    #[test]
    fn malformed_strings_are_refused() {
        for s in ["", "tomorrow", "2026-13-01T00:00:00Z", "1@", "@1"] {
            assert_eq!(LocalTime::decode(s), None, "{s}");
        }
        for s in ["", "1", "1,2,3", "a,b"] {
            assert_eq!(GeoPoint::decode(s), None, "{s}");
        }
        for s in [
            "",
            "lunar",
            "lunar 8-+1",
            "gregorian 01-01",
            "solar leap",
            "solar 01-01 x",
        ] {
            assert_eq!(Birthday::decode(s), None, "{s}");
        }
    }

    #[test]
    fn concurrent_edits_of_a_birthday_keep_one_of_them_whole() {
        use crate::model::{self, Contact, VipCard};
        let start = Contact {
            account_id: model::new_id(),
            name: "Zhang".into(),
            vip_card: Some(VipCard {
                birthday: Some(Birthday {
                    calendar: Calendar::Lunar,
                    month: 8,
                    day: 20,
                    leap_month: false,
                }),
                ..VipCard::default()
            }),
            ..Contact::default()
        };
        let mut a = model::new_document(automerge::ActorId::random());
        model::write_record(&mut a, &start).expect("write");
        let mut b = a.fork().with_actor(automerge::ActorId::random());
        let solar = Birthday {
            calendar: Calendar::Solar,
            month: 8,
            day: 25,
            leap_month: false,
        };
        let lunar = Birthday {
            calendar: Calendar::Lunar,
            month: 9,
            day: 3,
            leap_month: false,
        };
        let set = |doc: &mut automerge::AutoCommit, birthday: Birthday| {
            let mut c: Contact = model::read_record(doc).expect("read");
            if let Some(card) = c.vip_card.as_mut() {
                card.birthday = Some(birthday);
            }
            model::write_record(doc, &c).expect("write");
        };
        set(&mut a, solar);
        set(&mut b, lunar);
        a.merge(&mut b).expect("merge");
        b.merge(&mut a).expect("merge");
        let from_a: Contact = model::read_record(&a).expect("read");
        let from_b: Contact = model::read_record(&b).expect("read");
        assert_eq!(from_a, from_b);
        let merged = from_a
            .vip_card
            .and_then(|c| c.birthday)
            .expect("a birthday");
        assert!(
            merged == solar || merged == lunar,
            "{merged:?} was never entered"
        );
    }
}
