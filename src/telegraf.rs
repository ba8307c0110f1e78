//! The Telegraf execd input's line protocol (scaffolding, replaced by its issue's work).
