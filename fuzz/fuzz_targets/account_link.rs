#![no_main]
use pacer_link_fuzz::{flow_token, fuzz_service, linking::*, parsed_as};

fuzz_service! {
    AuthenticatePacerRequest => parsed_as::<AuthenticatePacer, _>,
    VerifyEcfRequest => parsed_as::<VerifyEcf, _>,
    PreviewLinkRequest => |r| flow_token(&r.flow_token),
    ConfirmLinkRequest => |r| flow_token(&r.flow_token),
}
