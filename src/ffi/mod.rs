//! libchrony's C API behind a safe [`Session`]: one of the two modules with
//! `unsafe` code (the other, `sys`, holds the system calls: poll, fcntl,
//! getsockopt, signal handling).
//!
//! Invariants the wrappers keep:
//! - a [`Session`] owns its socket fd and its `chrony_session`; dropping it
//!   calls `chrony_deinit_session` then `chrony_close_socket` (never close(2),
//!   which would leak libchrony's client-socket directories);
//! - the socket is non-blocking, so `chrony_process_response` and libchrony's
//!   sends can never block: the caller waits for readiness with `sys::poll`;
//! - every call into libchrony holds one process-wide lock (`LIBCHRONY`),
//!   because libchrony writes a static string buffer from several calls.

// bindgen gives C enums the platform's integer type (u32 or i32) and time_t
// may be i32 or i64: the casts below are no-ops on x86_64 Linux only.
#![allow(clippy::unnecessary_cast)]

use std::ffi::{CStr, CString};
use std::io;
use std::os::raw::c_int;
use std::os::unix::io::RawFd;
use std::ptr::NonNull;
use std::sync::Mutex;

#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    dead_code,
    missing_docs,
    unreachable_pub,
    clippy::all
)]
mod sys {
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}

pub(crate) use sys::chrony_err::Type as RawErr;

/// libchrony's status codes that callers distinguish.
pub(crate) mod code {
    use super::sys::chrony_err;
    pub(crate) const OK: u32 = chrony_err::CHRONY_OK as u32;
    pub(crate) const SEND_FAILED: u32 = chrony_err::CHRONY_SEND_FAILED as u32;
    pub(crate) const RECV_FAILED: u32 = chrony_err::CHRONY_RECV_FAILED as u32;
    pub(crate) const UNAUTHORIZED: u32 = chrony_err::CHRONY_UNAUTHORIZED as u32;
    pub(crate) const DISABLED: u32 = chrony_err::CHRONY_DISABLED as u32;
    /// A status libchrony has no name for; for a per-source record, chronyd's
    /// "no such source".
    pub(crate) const UNEXPECTED_STATUS: u32 = chrony_err::CHRONY_UNEXPECTED_STATUS as u32;
    /// chronyd answered "invalid": it does not know the request.
    pub(crate) const OLD_SERVER: u32 = chrony_err::CHRONY_OLD_SERVER as u32;
}

/// A libchrony call that returned something other than `CHRONY_OK`.
#[derive(Debug, Clone)]
pub(crate) struct LibError {
    /// The `chrony_err` value.
    pub(crate) code: u32,
    /// errno right after the call, for send/recv failures.
    pub(crate) errno: Option<i32>,
    /// libchrony's own description of `code`.
    pub(crate) text: String,
}

/// Turns a `chrony_err` into a `Result`, capturing errno and the library's text.
fn check(err: RawErr) -> Result<(), LibError> {
    let errno = io::Error::last_os_error().raw_os_error();
    let code = err as u32;
    if code == code::OK {
        return Ok(());
    }
    Err(LibError {
        code,
        errno: if code == code::SEND_FAILED || code == code::RECV_FAILED {
            errno
        } else {
            None
        },
        text: error_string(err),
    })
}

/// libchrony's text for a status code.
fn error_string(err: RawErr) -> String {
    // SAFETY: chrony_get_error_string accepts any value and returns a pointer
    // to a static string (or NULL for values it does not know).
    let ptr = unsafe { sys::chrony_get_error_string(err) };
    if ptr.is_null() {
        return format!("libchrony error {err}");
    }
    // SAFETY: non-NULL, NUL-terminated, static storage (see above).
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

/// The type libchrony gives a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldType {
    UInteger,
    Integer,
    Float,
    Timespec,
    String,
    /// NONE or a type this crate does not know.
    Other(u32),
}

impl FieldType {
    fn from_raw(raw: sys::chrony_field_type::Type) -> FieldType {
        use sys::chrony_field_type as t;
        match raw {
            t::CHRONY_TYPE_UINTEGER => FieldType::UInteger,
            t::CHRONY_TYPE_INTEGER => FieldType::Integer,
            t::CHRONY_TYPE_FLOAT => FieldType::Float,
            t::CHRONY_TYPE_TIMESPEC => FieldType::Timespec,
            t::CHRONY_TYPE_STRING => FieldType::String,
            other => FieldType::Other(other as u32),
        }
    }
}

/// One open libchrony session on its own socket.
pub(crate) struct Session {
    raw: NonNull<sys::chrony_session>,
    fd: c_int,
}

impl Session {
    /// Opens a socket to `address` (libchrony's syntax) and starts a session.
    ///
    /// The error is the OS error of the failed open (errno), or the session
    /// set-up failure.
    pub(crate) fn open(address: &CStr) -> Result<Session, OpenError> {
        let _lib = lock();
        // SAFETY: address is a valid NUL-terminated string for the call's duration.
        let fd = unsafe { sys::chrony_open_socket(address.as_ptr()) };
        if fd < 0 {
            return Err(OpenError::Os(io::Error::last_os_error()));
        }
        if let Err(e) = crate::sys::set_nonblocking(fd) {
            // SAFETY: fd came from chrony_open_socket and is closed only here.
            unsafe { sys::chrony_close_socket(fd) };
            return Err(OpenError::Os(e));
        }
        let mut raw: *mut sys::chrony_session = std::ptr::null_mut();
        // SAFETY: raw is a valid out-pointer; fd is an open libchrony socket.
        let status = unsafe { sys::chrony_init_session(&mut raw, fd) };
        match (check(status), NonNull::new(raw)) {
            (Ok(()), Some(raw)) => Ok(Session { raw, fd }),
            (result, _) => {
                // SAFETY: no session owns fd; close it the libchrony way.
                unsafe { sys::chrony_close_socket(fd) };
                Err(OpenError::Session(result.err().unwrap_or(LibError {
                    code: u32::MAX,
                    errno: None,
                    text: "chrony_init_session returned no session".into(),
                })))
            }
        }
    }

    /// The session's socket, for `sys::poll`.
    pub(crate) fn fd(&self) -> RawFd {
        self.fd
    }

    /// Asks for the number of records of `report`. For a report with one
    /// record (tracking, activity, ...) libchrony knows the count at once
    /// and sends nothing: `needs_response` is then false.
    pub(crate) fn request_count(&mut self, report: &CStr) -> Result<(), LibError> {
        let _lib = lock();
        // SAFETY: the session is live; report is NUL-terminated.
        check(unsafe {
            sys::chrony_request_report_number_records(self.raw.as_ptr(), report.as_ptr())
        })
    }

    /// The record count received after [`Session::request_count`].
    pub(crate) fn record_count(&self) -> c_int {
        let _lib = lock();
        // SAFETY: the session is live.
        unsafe { sys::chrony_get_report_number_records(self.raw.as_ptr()) }
    }

    /// Asks for record `record` of `report` (sends one request). Sent again
    /// when no reply came (libchrony never retransmits): a reply to the
    /// earlier request is then dropped by its sequence number. For ntpdata
    /// and authdata libchrony first asks for the source's sourcestats record
    /// (for its address) and sends the real request from
    /// [`Session::process_response`].
    pub(crate) fn request_record(&mut self, report: &CStr, record: c_int) -> Result<(), LibError> {
        // libchrony reads the previous reply's address through its string
        // buffer here (ntpdata, authdata): under the lock.
        let _lib = lock();
        // SAFETY: the session is live; report is NUL-terminated.
        check(unsafe { sys::chrony_request_record(self.raw.as_ptr(), report.as_ptr(), record) })
    }

    /// Whether a reply is still awaited.
    pub(crate) fn needs_response(&self) -> bool {
        let _lib = lock();
        // SAFETY: the session is live.
        unsafe { sys::chrony_needs_response(self.raw.as_ptr()) }
    }

    /// Reads one datagram. Call only after `sys::poll` said the fd is readable:
    /// the socket is non-blocking, so otherwise this fails with EAGAIN.
    pub(crate) fn process_response(&mut self) -> Result<(), LibError> {
        // May send a follow-up request built from the string buffer (see
        // request_record): under the lock.
        let _lib = lock();
        // SAFETY: the session is live.
        check(unsafe { sys::chrony_process_response(self.raw.as_ptr()) })
    }

    /// Every field of the current record, read under one lock so that the
    /// string buffer cannot change between a pointer and its copy.
    pub(crate) fn record(&self) -> Vec<Field> {
        let _lib = lock();
        let s = self.raw.as_ptr();
        // SAFETY: the session is live.
        let count = unsafe { sys::chrony_get_record_number_fields(s) };
        (0..count.max(0))
            .map(|index| {
                // SAFETY: the session is live, index is within the record's
                // field count, and the lock is held while libchrony's static
                // buffer is read and copied (so for every call below).
                let name = copy_string(unsafe { sys::chrony_get_field_name(s, index) })
                    .unwrap_or_default();
                // SAFETY: as above.
                let kind = FieldType::from_raw(unsafe { sys::chrony_get_field_type(s, index) });
                // SAFETY: as above.
                let content = unsafe { sys::chrony_get_field_content(s, index) } as u32;
                let value = match kind {
                    FieldType::UInteger => {
                        // SAFETY: as above, and the field is of this type.
                        RawValue::Unsigned(unsafe { sys::chrony_get_field_uinteger(s, index) })
                    }
                    FieldType::Integer => {
                        // SAFETY: as above, and the field is of this type.
                        RawValue::Signed(unsafe { sys::chrony_get_field_integer(s, index) })
                    }
                    FieldType::Float => {
                        // SAFETY: as above, and the field is of this type.
                        RawValue::Float(unsafe { sys::chrony_get_field_float(s, index) })
                    }
                    FieldType::Timespec => {
                        // SAFETY: as above, and the field is of this type.
                        let ts = unsafe { sys::chrony_get_field_timespec(s, index) };
                        RawValue::Timespec(ts.tv_sec as i64, ts.tv_nsec as i64)
                    }
                    // SAFETY: as above, and the field is of this type.
                    FieldType::String => RawValue::String(copy_string(unsafe {
                        sys::chrony_get_field_string(s, index)
                    })),
                    FieldType::Other(_) => RawValue::None,
                };
                let constant = |v: u64| {
                    // SAFETY: as above; the name is copied under the lock.
                    copy_string(unsafe { sys::chrony_get_field_constant_name(s, index, v) })
                };
                let constants = match (&value, content) {
                    (RawValue::Unsigned(v), ENUM_CONTENT) => constant(*v).into_iter().collect(),
                    (RawValue::Unsigned(v), FLAGS_CONTENT) => (0..64)
                        .map(|bit| 1u64 << bit)
                        .filter(|flag| v & flag != 0)
                        .filter_map(constant)
                        .collect(),
                    _ => Vec::new(),
                };
                Field {
                    name,
                    content,
                    value,
                    constants,
                }
            })
            .collect()
    }
}

/// `CHRONY_CONTENT_ENUM`: the value has one constant name.
const ENUM_CONTENT: u32 = sys::chrony_field_content::CHRONY_CONTENT_ENUM as u32;
/// `CHRONY_CONTENT_FLAGS`: each set bit may have a constant name.
const FLAGS_CONTENT: u32 = sys::chrony_field_content::CHRONY_CONTENT_FLAGS as u32;

/// One field as libchrony gives it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    /// libchrony's name (`reference ID`, `poll`, ...).
    pub(crate) name: String,
    /// The `chrony_field_content` value.
    pub(crate) content: u32,
    /// The value, read with the getter of the field's type.
    pub(crate) value: RawValue,
    /// Constant names: the enum value's name, or the names of set flags.
    pub(crate) constants: Vec<String>,
}

/// A field's value as read with the getter matching its type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawValue {
    Unsigned(u64),
    /// As libchrony returns it (0.2 zero-extends 16-bit fields).
    Signed(i64),
    Float(f64),
    Timespec(i64, i64),
    /// `None` when libchrony gives NULL (no address).
    String(Option<String>),
    /// A type this crate does not know.
    None,
}

/// Copies a NUL-terminated string libchrony returned (static storage or its
/// string buffer). Call with the lock held.
fn copy_string(ptr: *const std::os::raw::c_char) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-NULL, NUL-terminated; the caller holds the lock, so the
    // buffer is not rewritten before the copy is made.
    let text = unsafe { CStr::from_ptr(ptr) };
    Some(text.to_string_lossy().into_owned())
}

/// Serialises every call into libchrony. libchrony formats addresses into
/// one static buffer shared by the whole process (`get_field_string`), and
/// reaches it not only from `chrony_get_field_string` but also from
/// `chrony_get_field_content`, `chrony_request_record` and
/// `chrony_process_response` (ntpdata and authdata take a source's address
/// from it). Locking every call is simpler to keep right than a list of
/// the ones that touch it today, and costs nothing next to a round trip.
static LIBCHRONY: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    LIBCHRONY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

// SAFETY: a Session exclusively owns its chrony_session (a plain heap
// struct) and its fd; libchrony keeps no per-thread state, and the only
// process-wide state it writes (the string buffer, and random(), which
// glibc locks) is reached under LIBCHRONY. So a Session may move to another
// thread. It is not Sync: nothing here is designed for shared use.
unsafe impl Send for Session {}

impl Drop for Session {
    fn drop(&mut self) {
        let _lib = lock();
        // SAFETY: the session and fd are owned by self and released exactly
        // once, session first (it refers to the fd), then the socket the
        // libchrony way, which also removes its client-socket directories.
        unsafe {
            sys::chrony_deinit_session(self.raw.as_ptr());
            sys::chrony_close_socket(self.fd);
        }
    }
}

/// Why [`Session::open`] failed.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// `chrony_open_socket` failed with this OS error.
    Os(io::Error),
    /// The socket opened but the session could not be set up.
    Session(LibError),
}

/// Builds the C string libchrony wants, refusing interior NULs.
pub(crate) fn c_string(s: &str) -> Option<CString> {
    CString::new(s).ok()
}
