//! The collectd exec plugin's PUTVAL/PUTNOTIF lines (scaffolding, replaced by its issue's work).
