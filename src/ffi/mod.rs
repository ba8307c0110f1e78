//! libchrony's C API behind a safe [`Session`]: one of the two modules with
//! `unsafe` code (the other, `sys`, holds the system calls: poll, fcntl,
//! getsockopt, signal handling).
//!
//! Invariants the wrappers keep:
//! - a [`Session`] owns its socket fd and its `chrony_session`; dropping it
//!   calls `chrony_deinit_session` then `chrony_close_socket` (never close(2),
//!   which would leak libchrony's client-socket directories);
//! - the socket is non-blocking, so `chrony_process_response` and libchrony's
//!   sends can never block: the caller waits for readiness with `sys::poll`.

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

    /// Asks for record `record` of `report` (sends one request). The report
    /// must be one whose record count needs no round trip (tracking).
    pub(crate) fn request_record(&mut self, report: &CStr, record: c_int) -> Result<(), LibError> {
        // SAFETY: the session is live; report is NUL-terminated.
        check(unsafe {
            sys::chrony_request_report_number_records(self.raw.as_ptr(), report.as_ptr())
        })?;
        if self.needs_response() {
            return Err(LibError {
                code: u32::MAX,
                errno: None,
                text: "report needs a record count round trip".into(),
            });
        }
        // SAFETY: as above.
        let records = unsafe { sys::chrony_get_report_number_records(self.raw.as_ptr()) };
        if record >= records {
            return Err(LibError {
                code: u32::MAX,
                errno: None,
                text: format!("report has {records} records, record {record} asked"),
            });
        }
        self.resend_record(report, record)
    }

    /// Sends the request for `record` again (libchrony never retransmits);
    /// a reply to the earlier request is then dropped by its sequence number.
    pub(crate) fn resend_record(&mut self, report: &CStr, record: c_int) -> Result<(), LibError> {
        // SAFETY: the session is live; report is NUL-terminated.
        check(unsafe { sys::chrony_request_record(self.raw.as_ptr(), report.as_ptr(), record) })
    }

    /// Whether a reply is still awaited.
    pub(crate) fn needs_response(&self) -> bool {
        // SAFETY: the session is live.
        unsafe { sys::chrony_needs_response(self.raw.as_ptr()) }
    }

    /// Reads one datagram. Call only after `sys::poll` said the fd is readable:
    /// the socket is non-blocking, so otherwise this fails with EAGAIN.
    pub(crate) fn process_response(&mut self) -> Result<(), LibError> {
        // SAFETY: the session is live.
        check(unsafe { sys::chrony_process_response(self.raw.as_ptr()) })
    }

    /// Index of the field called `name` in the current record.
    pub(crate) fn field_index(&self, name: &CStr) -> Option<c_int> {
        // SAFETY: the session is live; name is NUL-terminated.
        let index = unsafe { sys::chrony_get_field_index(self.raw.as_ptr(), name.as_ptr()) };
        (index >= 0).then_some(index)
    }

    /// The type of field `index`.
    pub(crate) fn field_type(&self, index: c_int) -> FieldType {
        // SAFETY: the session is live; libchrony range-checks index.
        FieldType::from_raw(unsafe { sys::chrony_get_field_type(self.raw.as_ptr(), index) })
    }

    /// Field `index` as an unsigned integer.
    pub(crate) fn uinteger(&self, index: c_int) -> u64 {
        // SAFETY: the session is live; libchrony range-checks index.
        unsafe { sys::chrony_get_field_uinteger(self.raw.as_ptr(), index) }
    }

    /// Field `index` as a float.
    pub(crate) fn float(&self, index: c_int) -> f64 {
        // SAFETY: the session is live; libchrony range-checks index.
        unsafe { sys::chrony_get_field_float(self.raw.as_ptr(), index) }
    }

    /// Field `index` as (seconds, nanoseconds).
    pub(crate) fn timespec(&self, index: c_int) -> (i64, i64) {
        // SAFETY: the session is live; libchrony range-checks index.
        let ts = unsafe { sys::chrony_get_field_timespec(self.raw.as_ptr(), index) };
        (ts.tv_sec as i64, ts.tv_nsec as i64)
    }

    /// Field `index` as a string; `None` when libchrony gives NULL.
    pub(crate) fn string(&self, index: c_int) -> Option<String> {
        // libchrony formats string fields into one static buffer shared by
        // the whole process: two sessions on two threads would race on it.
        let _guard = STRING_BUFFER
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // SAFETY: the session is live; libchrony range-checks index.
        let ptr = unsafe { sys::chrony_get_field_string(self.raw.as_ptr(), index) };
        if ptr.is_null() {
            return None;
        }
        // SAFETY: non-NULL pointer to a NUL-terminated string in libchrony's
        // static buffer, which no other thread writes while the guard is
        // held; copied out before the guard is released.
        Some(
            unsafe { CStr::from_ptr(ptr) }
                .to_string_lossy()
                .into_owned(),
        )
    }
}

/// Serialises access to libchrony's static string buffer (see [`Session::string`]).
static STRING_BUFFER: Mutex<()> = Mutex::new(());

impl Drop for Session {
    fn drop(&mut self) {
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
