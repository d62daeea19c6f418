//! The record found for an address, decoded leniently from any supported layout.
//!
//! ip-location-db writes top-level `country_code` and `autonomous_system_number`;
//! MaxMind's GeoLite2 writes `country.iso_code` and `autonomous_system_number`. A field
//! holding a value of an unexpected type reads as absent instead of failing the record.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::CountryCode;

/// The fields of any supported layout; whichever are present are used.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(super) struct Record {
    /// ip-location-db country layout.
    country_code: Lenient<CountryCode>,
    /// GeoLite2 / GeoIP2 country layout.
    country: Place,
    /// GeoLite2 / GeoIP2: the country the network is registered in, used when `country`
    /// is absent (anycast and satellite networks, for instance).
    registered_country: Place,
    /// ip-location-db ASN layout and GeoLite2-ASN.
    autonomous_system_number: Lenient<Asn>,
}

impl Record {
    /// The country, from whichever layout the record uses.
    pub(super) fn country(&self) -> Option<CountryCode> {
        self.country_code
            .0
            .or(self.country.iso_code)
            .or(self.registered_country.iso_code)
    }

    /// The autonomous system number, if the record has a usable one.
    pub(super) fn asn(&self) -> Option<u32> {
        self.autonomous_system_number.0.map(|asn| asn.0)
    }
}

/// A GeoLite2 place map (`{"iso_code": "DE", "names": {...}, ...}`), of which only the
/// code is kept; a value that is not a map reads as no place.
#[derive(Default)]
struct Place {
    iso_code: Option<CountryCode>,
}

impl<'de> Deserialize<'de> for Place {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Place, D::Error> {
        #[derive(Deserialize)]
        struct PlaceMap {
            #[serde(default)]
            iso_code: Lenient<CountryCode>,
        }

        struct PlaceVisitor;

        impl<'de> Visitor<'de> for PlaceVisitor {
            type Value = Place;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map with an iso_code")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Place, A::Error> {
                let place = PlaceMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Place {
                    iso_code: place.iso_code.0,
                })
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Place, A::Error> {
                drain_seq(seq).map(|()| Place::default())
            }

            fn visit_str<E: de::Error>(self, _: &str) -> Result<Place, E> {
                Ok(Place::default())
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Place, E> {
                Ok(Place::default())
            }

            fn visit_u128<E: de::Error>(self, _: u128) -> Result<Place, E> {
                Ok(Place::default())
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Place, E> {
                Ok(Place::default())
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Place, E> {
                Ok(Place::default())
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Place, E> {
                Ok(Place::default())
            }

            fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Place, E> {
                Ok(Place::default())
            }
        }

        deserializer.deserialize_any(PlaceVisitor)
    }
}

/// An autonomous system number; AS0 (reserved, RFC 7607) reads as none.
#[derive(Clone, Copy)]
struct Asn(u32);

/// A scalar taken from a number or from text, whichever a database chose to store.
trait FromScalar: Sized {
    fn from_text(text: &str) -> Option<Self>;
    fn from_number(number: u64) -> Option<Self>;
}

impl FromScalar for CountryCode {
    fn from_text(text: &str) -> Option<CountryCode> {
        CountryCode::new(text)
    }

    fn from_number(_: u64) -> Option<CountryCode> {
        None
    }
}

impl FromScalar for Asn {
    fn from_text(text: &str) -> Option<Asn> {
        let digits = text
            .strip_prefix("AS")
            .or_else(|| text.strip_prefix("as"))
            .unwrap_or(text);
        digits.parse::<u64>().ok().and_then(Asn::from_number)
    }

    fn from_number(number: u64) -> Option<Asn> {
        u32::try_from(number).ok().filter(|&n| n != 0).map(Asn)
    }
}

/// A field that reads as `None` when it holds a value of a type it does not expect.
struct Lenient<T>(Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Lenient<T> {
        Lenient(None)
    }
}

impl<'de, T: FromScalar> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Lenient<T>, D::Error> {
        deserializer.deserialize_any(LenientVisitor(PhantomData))
    }
}

struct LenientVisitor<T>(PhantomData<T>);

impl<'de, T: FromScalar> Visitor<'de> for LenientVisitor<T> {
    type Value = Lenient<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any MaxMind DB value")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Lenient<T>, E> {
        Ok(Lenient(T::from_text(text)))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Lenient<T>, E> {
        Ok(Lenient(T::from_number(number)))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Lenient<T>, E> {
        Ok(Lenient(u64::try_from(number).ok().and_then(T::from_number)))
    }

    fn visit_u128<E: de::Error>(self, number: u128) -> Result<Lenient<T>, E> {
        Ok(Lenient(u64::try_from(number).ok().and_then(T::from_number)))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Lenient<T>, E> {
        Ok(Lenient(None))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Lenient<T>, E> {
        Ok(Lenient(None))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Lenient<T>, E> {
        Ok(Lenient(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Lenient<T>, A::Error> {
        drain_seq(seq).map(|()| Lenient(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lenient<T>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Lenient(None))
    }
}

/// Skips the rest of an array the record did not expect.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asn_is_read_from_numbers_and_text() {
        let asn = |text: &str| Asn::from_text(text).map(|asn| asn.0);
        assert_eq!(asn("AS13335"), Some(13335));
        assert_eq!(asn("as64500"), Some(64500));
        assert_eq!(asn("64501"), Some(64501));
        for bad in ["", "AS", "0", "AS0", "-1", "ASx", "4294967296"] {
            assert_eq!(asn(bad), None, "{bad:?}");
        }
        assert_eq!(
            Asn::from_number(u64::from(u32::MAX)).map(|asn| asn.0),
            Some(u32::MAX)
        );
        assert!(Asn::from_number(1 << 32).is_none());
        assert!(Asn::from_number(0).is_none());
    }

    #[test]
    fn country_codes_are_only_read_from_text() {
        assert_eq!(
            CountryCode::from_text("fr").map(|c| c.to_bytes()),
            Some(*b"FR")
        );
        assert!(CountryCode::from_text("FRA").is_none());
        assert!(CountryCode::from_number(250).is_none());
    }
}
