//! The sample records the unit tests share, with libchrony 0.2's field
//! names, types and order (as read from chronyd 4.3).

use super::{Content, Field, Record, Value};
use crate::tracking::Timestamp;

fn field(name: &str, content: Content, value: Value) -> Field {
    Field {
        name: name.into(),
        content,
        value,
        constants: Vec::new(),
    }
}

fn named(name: &str, content: Content, value: Value, constant: &str) -> Field {
    Field {
        constants: vec![constant.into()],
        ..field(name, content, value)
    }
}

/// Replaces the value of field `name` in `r` (panics when absent).
pub(crate) fn set(r: &mut Record, name: &str, value: Value) {
    r.fields
        .iter_mut()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no field {name}"))
        .value = value;
}

/// The tracking record matching [`crate::tracking::sample`].
pub(crate) fn tracking_record() -> Record {
    use Content as C;
    use Value::{Float as F, Unsigned as U};
    Record::new(vec![
        field("reference ID", C::ReferenceId, U(0x7F00_0001)),
        field("address", C::Address, Value::Text("127.0.0.1".into())),
        field("stratum", C::Count, U(4)),
        named("leap status", C::Enum, U(0), "normal"),
        field(
            "reference time",
            C::Time,
            Value::Time(Timestamp::new(1_795_675_340, 924_973_746)),
        ),
        field("current correction", C::OffsetSeconds, F(0.0499984)),
        field("last offset", C::OffsetSeconds, F(-1.8e-8)),
        field("RMS offset", C::MeasureSeconds, F(5.6e-8)),
        field("frequency offset", C::OffsetPpm, F(-0.0014)),
        field("residual frequency", C::OffsetPpm, F(-0.0004)),
        field("skew", C::MeasurePpm, F(0.028)),
        field("root delay", C::MeasureSeconds, F(5.5e-6)),
        field("root dispersion", C::MeasureSeconds, F(1.4e-6)),
        field("last update interval", C::IntervalSeconds, F(0.51)),
    ])
}

/// A selected NTP server at 127.0.0.2, polled every 0.25 s.
pub(crate) fn source_record() -> Record {
    use Content as C;
    use Value::{Float as F, Unsigned as U};
    Record::new(vec![
        field("address", C::Address, Value::Text("127.0.0.2".into())),
        field("poll", C::IntervalLog2Seconds, Value::Signed(-2)),
        field("stratum", C::Count, U(3)),
        named("state", C::Enum, U(0), "selected"),
        named("mode", C::Enum, U(0), "client"),
        field("flags", C::None, U(0)),
        field("reachability", C::Bits, U(0o377)),
        field("last sample ago", C::IntervalSeconds, U(1)),
        field("original last sample offset", C::OffsetSeconds, F(-2.1e-5)),
        field("adjusted last sample offset", C::OffsetSeconds, F(-2.0e-5)),
        field("last sample error", C::MeasureSeconds, F(1.5e-4)),
    ])
}

/// A combined reference clock `GPS` (SOCK driver).
pub(crate) fn refclock_record() -> Record {
    use Content as C;
    use Value::{Float as F, Unsigned as U};
    Record::new(vec![
        field(
            "reference ID",
            C::ReferenceId,
            U(u64::from(u32::from_be_bytes(*b"GPS\0"))),
        ),
        field("poll", C::IntervalLog2Seconds, Value::Signed(0)),
        field("stratum", C::Count, U(0)),
        named("state", C::Enum, U(4), "unselected"),
        named("mode", C::Enum, U(2), "reference clock"),
        field("flags", C::None, U(0)),
        field("reachability", C::Bits, U(0o17)),
        field("last sample ago", C::IntervalSeconds, U(0)),
        field("original last sample offset", C::OffsetSeconds, F(1e-6)),
        field("adjusted last sample offset", C::OffsetSeconds, F(1e-6)),
        field("last sample error", C::MeasureSeconds, F(1e-3)),
    ])
}

/// Sourcestats of 127.0.0.2.
pub(crate) fn sourcestats_record() -> Record {
    use Content as C;
    use Value::{Float as F, Unsigned as U};
    Record::new(vec![
        field("reference ID", C::ReferenceId, U(0x7F00_0002)),
        field("address", C::Address, Value::Text("127.0.0.2".into())),
        field("samples", C::Count, U(8)),
        field("runs", C::Count, U(5)),
        field("span", C::IntervalSeconds, U(2)),
        field("standard deviation", C::MeasureSeconds, F(3e-6)),
        field("residual frequency", C::OffsetPpm, F(-0.25)),
        field("skew", C::MeasurePpm, F(0.5)),
        field("offset", C::OffsetSeconds, F(-1e-6)),
        field("offset error", C::MeasureSeconds, F(2e-6)),
    ])
}

/// Selectdata of a `noselect` source at 127.0.0.5.
pub(crate) fn selectdata_record() -> Record {
    use Content as C;
    use Value::{Float as F, Unsigned as U};
    Record::new(vec![
        field("reference ID", C::ReferenceId, U(0x7F00_0005)),
        field("address", C::Address, Value::Text("127.0.0.5".into())),
        named("state", C::Enum, U(u64::from(b'N')), "ignored"),
        field("authentication", C::Boolean, U(0)),
        named("leap status", C::Enum, U(0), "normal"),
        field("reserved #1", C::None, U(0)),
        named("configured options", C::Flags, U(1), "noselect"),
        named("effective options", C::Flags, U(1), "noselect"),
        field("last sample ago", C::IntervalSeconds, U(0)),
        field("score", C::Ratio, F(1.0)),
        field("low limit", C::IntervalSeconds, F(-1e-4)),
        field("high limit", C::IntervalSeconds, F(1e-4)),
    ])
}
