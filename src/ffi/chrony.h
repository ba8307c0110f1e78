/*
 * The subset of libchrony 0.2's public API (chrony.h) that chrony-plugins uses,
 * declared by this project from the documented interface. build.rs generates
 * the Rust bindings from this file only when the system has the library but no
 * header (Debian/Ubuntu, where libchrony comes from the pychrony wheel); when a
 * real chrony.h is found (pkg-config, LIBCHRONY_INCLUDE_DIR, /usr/include) that
 * one is used instead, so the two must stay signature-compatible.
 */
#ifndef CHRONY_PLUGINS_CHRONY_H
#define CHRONY_PLUGINS_CHRONY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef enum {
	CHRONY_OK,
	CHRONY_NO_MEMORY,
	CHRONY_NO_RANDOM,
	CHRONY_UNKNOWN_REPORT,
	CHRONY_RANDOM_FAILED,
	CHRONY_SEND_FAILED,
	CHRONY_RECV_FAILED,
	CHRONY_INVALID_ARGUMENT,
	CHRONY_UNEXPECTED_CALL,
	CHRONY_UNAUTHORIZED,
	CHRONY_DISABLED,
	CHRONY_UNEXPECTED_STATUS,
	CHRONY_OLD_SERVER,
	CHRONY_NEW_SERVER,
	CHRONY_INVALID_RESPONSE,
} chrony_err;

typedef enum {
	CHRONY_TYPE_NONE,
	CHRONY_TYPE_UINTEGER,
	CHRONY_TYPE_INTEGER,
	CHRONY_TYPE_FLOAT,
	CHRONY_TYPE_TIMESPEC,
	CHRONY_TYPE_STRING,
} chrony_field_type;

typedef enum {
	CHRONY_CONTENT_NONE,
	CHRONY_CONTENT_COUNT,
	CHRONY_CONTENT_TIME,
	CHRONY_CONTENT_INTERVAL_LOG2_SECONDS,
	CHRONY_CONTENT_INTERVAL_SECONDS,
	CHRONY_CONTENT_OFFSET_SECONDS,
	CHRONY_CONTENT_MEASURE_SECONDS,
	CHRONY_CONTENT_OFFSET_PPM,
	CHRONY_CONTENT_MEASURE_PPM,
	CHRONY_CONTENT_OFFSET_PPM_PER_SECOND,
	CHRONY_CONTENT_RATIO,
	CHRONY_CONTENT_REFERENCE_ID,
	CHRONY_CONTENT_ENUM,
	CHRONY_CONTENT_BITS,
	CHRONY_CONTENT_FLAGS,
	CHRONY_CONTENT_ADDRESS,
	CHRONY_CONTENT_PORT,
	CHRONY_CONTENT_INDEX,
	CHRONY_CONTENT_LENGTH_BITS,
	CHRONY_CONTENT_LENGTH_BYTES,
	CHRONY_CONTENT_BOOLEAN,
} chrony_field_content;

typedef struct chrony_session_t chrony_session;

int chrony_open_socket(const char *address);
void chrony_close_socket(int fd);
const char *chrony_get_error_string(chrony_err e);
chrony_err chrony_init_session(chrony_session **s, int fd);
void chrony_deinit_session(chrony_session *s);
int chrony_get_fd(chrony_session *s);
bool chrony_needs_response(chrony_session *s);
chrony_err chrony_process_response(chrony_session *s);
int chrony_get_number_supported_reports(void);
const char *chrony_get_report_name(int report);
chrony_err chrony_request_report_number_records(chrony_session *s, const char *report_name);
int chrony_get_report_number_records(chrony_session *s);
chrony_err chrony_request_record(chrony_session *s, const char *report_name, int record);
int chrony_get_record_number_fields(chrony_session *s);
const char *chrony_get_field_name(chrony_session *s, int field);
int chrony_get_field_index(chrony_session *s, const char *name);
chrony_field_type chrony_get_field_type(chrony_session *s, int field);
chrony_field_content chrony_get_field_content(chrony_session *s, int field);
uint64_t chrony_get_field_uinteger(chrony_session *s, int field);
int64_t chrony_get_field_integer(chrony_session *s, int field);
double chrony_get_field_float(chrony_session *s, int field);
struct timespec chrony_get_field_timespec(chrony_session *s, int field);
const char *chrony_get_field_string(chrony_session *s, int field);
const char *chrony_get_field_constant_name(chrony_session *s, int field, uint64_t value);

#endif
