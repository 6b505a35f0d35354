//! Property tests: every domain parser and every request conversion, on
//! arbitrary and near-valid input.
mod domain_props;
