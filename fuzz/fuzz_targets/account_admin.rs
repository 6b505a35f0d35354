#![no_main]
use pacer_link::store::PasswordOwner;
use pacer_link_fuzz::{fuzz_service, linking::*, parsed_as};

fuzz_service! {
    CreateCourtRequest => parsed_as::<CreateCourt, _>,
    CreatePacerAccountRequest => parsed_as::<CreatePacerAccount, _>,
    CreateEcfAccountRequest => parsed_as::<CreateEcfAccount, _>,
    UnlinkRequest => parsed_as::<Unlink, _>,
    ResetEcfPasswordRequest => parsed_as::<ResetEcfPassword, _>,
    EnrollTotpRequest => parsed_as::<EnrollTotp, _>,
    ListAuditEventsRequest => parsed_as::<AuditQuery, _>,
    GetAccountSecurityRequest => parsed_as::<PasswordOwner, _>,
    UnlockAccountRequest => parsed_as::<UnlockAccount, _>,
}
