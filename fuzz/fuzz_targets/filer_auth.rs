#![no_main]
use pacer_link_fuzz::{fuzz_service, linking::*, parsed_as};

fuzz_service! {
    AuthenticateFilerRequest => parsed_as::<AuthenticateFiler, _>,
}
