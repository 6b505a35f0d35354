#![no_main]
use pacer_link_fuzz::{batch, fuzz_service, linking::*, parsed_as, watch};

fuzz_service! {
    GetLinkStatusRequest => parsed_as::<StatusQuery, _>,
    BatchGetLinkStatusRequest => batch,
    WatchLinkEventsRequest => watch,
}
