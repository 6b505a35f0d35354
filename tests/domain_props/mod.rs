//! Property tests of the domain parsers and the proto-to-command conversions.
mod convert;
mod help_desk;
mod models;
mod parsers;
mod security;
