//! Property tests: every domain parser and every request conversion on
//! arbitrary and near-valid input, and random linking sessions against a
//! model of the flow.
mod domain_props;
mod flow_model;
