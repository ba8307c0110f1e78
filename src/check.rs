//! The Nagios/Icinga check's output (scaffolding, replaced by its issue's work).
