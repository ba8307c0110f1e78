//! Records of named, typed fields, and lookups by name that say what is
//! wrong when a field is missing or has another type.

use crate::ffi;
use crate::tracking::Timestamp;
use serde::Serialize;
use std::fmt;

/// What a field's number means (libchrony's `chrony_field_content`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Content {
    /// No particular meaning (reserved fields, raw flags).
    None,
    /// A count.
    Count,
    /// A point in time.
    Time,
    /// An interval as a power of two of seconds (`poll`).
    IntervalLog2Seconds,
    /// An interval in seconds.
    IntervalSeconds,
    /// A signed offset in seconds.
    OffsetSeconds,
    /// An unsigned measure (error, deviation, delay) in seconds.
    MeasureSeconds,
    /// A signed frequency offset in ppm.
    OffsetPpm,
    /// An unsigned frequency measure (skew) in ppm.
    MeasurePpm,
    /// A rate of frequency change in ppm per second.
    OffsetPpmPerSecond,
    /// A ratio.
    Ratio,
    /// A 32-bit reference id.
    ReferenceId,
    /// A value with a name ([`Field::constants`]).
    Enum,
    /// A bit register (`reachability`).
    Bits,
    /// Flags, each with a name ([`Field::constants`]).
    Flags,
    /// An IP address.
    Address,
    /// A UDP port.
    Port,
    /// An index or key number.
    Index,
    /// A length in bits.
    LengthBits,
    /// A length in bytes.
    LengthBytes,
    /// 0 or 1.
    Boolean,
    /// A content value this crate does not know (a newer libchrony).
    Other(u32),
}

impl Content {
    fn from_raw(raw: u32) -> Content {
        const ALL: [Content; 21] = [
            Content::None,
            Content::Count,
            Content::Time,
            Content::IntervalLog2Seconds,
            Content::IntervalSeconds,
            Content::OffsetSeconds,
            Content::MeasureSeconds,
            Content::OffsetPpm,
            Content::MeasurePpm,
            Content::OffsetPpmPerSecond,
            Content::Ratio,
            Content::ReferenceId,
            Content::Enum,
            Content::Bits,
            Content::Flags,
            Content::Address,
            Content::Port,
            Content::Index,
            Content::LengthBits,
            Content::LengthBytes,
            Content::Boolean,
        ];
        ALL.get(raw as usize)
            .copied()
            .unwrap_or(Content::Other(raw))
    }
}

/// A field's value, read with the getter of its libchrony type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// `CHRONY_TYPE_UINTEGER`.
    Unsigned(u64),
    /// `CHRONY_TYPE_INTEGER`, sign restored (libchrony 0.2 zero-extends
    /// 16-bit fields: `poll` -2 comes as 65534).
    Signed(i64),
    /// `CHRONY_TYPE_FLOAT`.
    Float(f64),
    /// `CHRONY_TYPE_TIMESPEC`, exact.
    Time(Timestamp),
    /// `CHRONY_TYPE_STRING` (addresses).
    Text(String),
    /// A NULL string (no address: a reference clock), or a type this crate
    /// does not know.
    Missing,
}

/// One named field of a record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    /// libchrony's name for it (`reference ID`, `last sample ago`, ...).
    pub name: String,
    /// What the number means.
    pub content: Content,
    /// The value.
    pub value: Value,
    /// For an enum, the value's name (`selected`); for flags, the names of
    /// the flags set (`noselect`, `prefer`); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub constants: Vec<String>,
}

impl Field {
    /// Converts libchrony's raw field.
    pub(crate) fn from_raw(raw: ffi::Field) -> Field {
        let value = match raw.value {
            ffi::RawValue::Unsigned(v) => Value::Unsigned(v),
            ffi::RawValue::Signed(v) => Value::Signed(sign_extend_16(v)),
            ffi::RawValue::Float(v) => Value::Float(v),
            ffi::RawValue::Timespec(secs, nanos) => Value::Time(Timestamp::new(secs, nanos)),
            ffi::RawValue::String(Some(text)) => Value::Text(text),
            ffi::RawValue::String(None) | ffi::RawValue::None => Value::Missing,
        };
        Field {
            name: raw.name,
            content: Content::from_raw(raw.content),
            value,
            constants: raw.constants,
        }
    }
}

/// libchrony 0.2 returns 16-bit signed fields zero-extended (`poll` -2 as
/// 65534) and 8-bit ones sign-extended. A value in 0x8000..=0xFFFF can only
/// be a zero-extended negative 16-bit number (an 8-bit one never exceeds
/// 127; no signed field is wider than 16 bits), so it is taken back to its
/// sign; a fixed libchrony that sign-extends is left alone.
fn sign_extend_16(v: i64) -> i64 {
    if (0x8000..=0xFFFF).contains(&v) {
        i64::from(v as u16 as i16)
    } else {
        v
    }
}

/// A field that is missing or unusable, with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's libchrony name.
    pub field: String,
    /// What is wrong with it.
    pub why: String,
}

impl FieldError {
    pub(crate) fn new(field: &str, why: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_string(),
            why: why.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field '{}' {}", self.field, self.why)
    }
}

impl std::error::Error for FieldError {}

/// One record of a report: its fields in libchrony's order.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Record {
    /// The fields. Look them up by name ([`Record::get`]): order and
    /// number vary with chronyd's version.
    pub fields: Vec<Field>,
}

impl Record {
    /// A record of these fields.
    pub fn new(fields: Vec<Field>) -> Record {
        Record { fields }
    }

    /// The field called `name`, if the record has one.
    pub fn get(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    fn need(&self, name: &str) -> Result<&Field, FieldError> {
        self.get(name).ok_or_else(|| {
            FieldError::new(
                name,
                "is missing (libchrony or chronyd too old or too new?)",
            )
        })
    }

    fn wrong(name: &str, want: &str, got: &Value) -> FieldError {
        FieldError::new(name, format!("is {got:?}, expected {want}"))
    }

    /// An unsigned field.
    pub fn unsigned(&self, name: &str) -> Result<u64, FieldError> {
        match &self.need(name)?.value {
            Value::Unsigned(v) => Ok(*v),
            other => Err(Record::wrong(name, "an unsigned integer", other)),
        }
    }

    /// An unsigned field that must fit `T` (a u8 register, a u32 count).
    pub fn unsigned_as<T: TryFrom<u64>>(&self, name: &str) -> Result<T, FieldError> {
        let v = self.unsigned(name)?;
        T::try_from(v).map_err(|_| FieldError::new(name, format!("is {v}, out of range")))
    }

    /// A signed field.
    pub fn signed(&self, name: &str) -> Result<i64, FieldError> {
        match &self.need(name)?.value {
            Value::Signed(v) => Ok(*v),
            other => Err(Record::wrong(name, "a signed integer", other)),
        }
    }

    /// A float field.
    pub fn float(&self, name: &str) -> Result<f64, FieldError> {
        match &self.need(name)?.value {
            Value::Float(v) => Ok(*v),
            other => Err(Record::wrong(name, "a float", other)),
        }
    }

    /// A timespec field.
    pub fn time(&self, name: &str) -> Result<Timestamp, FieldError> {
        match &self.need(name)?.value {
            Value::Time(v) => Ok(*v),
            other => Err(Record::wrong(name, "a timespec", other)),
        }
    }

    /// A string field; `None` when libchrony gave NULL (no address).
    pub fn text(&self, name: &str) -> Result<Option<&str>, FieldError> {
        match &self.need(name)?.value {
            Value::Text(v) => Ok(Some(v)),
            Value::Missing => Ok(None),
            other => Err(Record::wrong(name, "a string", other)),
        }
    }

    /// The constant names of an enum or flags field (empty when none apply).
    pub fn constants(&self, name: &str) -> Result<&[String], FieldError> {
        Ok(&self.need(name)?.constants)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(name: &str, value: ffi::RawValue) -> ffi::Field {
        ffi::Field {
            name: name.into(),
            content: 0,
            value,
            constants: Vec::new(),
        }
    }

    #[test]
    fn poll_zero_extended_by_libchrony_is_negative() {
        let f = Field::from_raw(raw("poll", ffi::RawValue::Signed(65534)));
        assert_eq!(f.value, Value::Signed(-2));
    }

    #[test]
    fn signed_already_negative_or_small_is_kept() {
        for v in [-2, -128, 0, 6, 127, 32767] {
            let f = Field::from_raw(raw("poll", ffi::RawValue::Signed(v)));
            assert_eq!(f.value, Value::Signed(v));
        }
    }

    #[test]
    fn content_beyond_known_is_other() {
        assert_eq!(Content::from_raw(12), Content::Enum);
        assert_eq!(Content::from_raw(20), Content::Boolean);
        assert_eq!(Content::from_raw(21), Content::Other(21));
    }

    #[test]
    fn lookup_by_name_and_type() {
        let r = Record::new(vec![
            Field::from_raw(raw("stratum", ffi::RawValue::Unsigned(3))),
            Field::from_raw(raw("address", ffi::RawValue::String(None))),
        ]);
        assert_eq!(r.unsigned("stratum"), Ok(3));
        assert_eq!(r.text("address"), Ok(None));
        assert_eq!(
            r.float("stratum").unwrap_err().to_string(),
            "field 'stratum' is Unsigned(3), expected a float"
        );
        assert!(r
            .unsigned("poll")
            .unwrap_err()
            .to_string()
            .starts_with("field 'poll' is missing"));
        assert_eq!(r.unsigned_as::<u8>("stratum"), Ok(3u8),);
    }

    #[test]
    fn out_of_range() {
        let r = Record::new(vec![Field::from_raw(raw(
            "reachability",
            ffi::RawValue::Unsigned(256),
        ))]);
        assert_eq!(
            r.unsigned_as::<u8>("reachability").unwrap_err().to_string(),
            "field 'reachability' is 256, out of range"
        );
    }
}
