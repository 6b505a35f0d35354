//! `pacer-link report coverage --court C --addr URL`: the court's link
//! coverage and the filers who have not linked yet, for the clerk's office.
use std::io::Write;

use clap::{Args, Subcommand, ValueEnum};
use tonic::transport::Channel;

use super::connection::{Connection, admin_request};
use crate::proto::{self, LinkState, account_admin_service_client::AccountAdminServiceClient};

/// `report` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum ReportCommand {
    /// Linked and unlinked CM/ECF accounts of a court, and every unlinked one.
    Coverage(CoverageArgs),
}

/// `report coverage` options.
#[derive(Debug, Clone, Args)]
pub struct CoverageArgs {
    /// The court, e.g. cod.
    #[arg(long)]
    pub court: String,
    /// How to print it: a table to read, or CSV for a spreadsheet.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// The service.
    #[command(flatten)]
    pub connection: Connection,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Counts, then the unlinked accounts in columns.
    Table,
    /// The unlinked accounts as CSV with a header line.
    Csv,
}

/// Runs a report.
pub async fn run_report(command: ReportCommand) -> anyhow::Result<()> {
    let ReportCommand::Coverage(args) = command;
    let token = super::connection::admin_token()?;
    let mut client = AccountAdminServiceClient::new(args.connection.connect().await?);
    let counts = client
        .get_link_coverage(admin_request(
            &token,
            proto::GetLinkCoverageRequest {
                court_id: args.court.clone(),
            },
        )?)
        .await
        .map_err(|s| anyhow::anyhow!("GetLinkCoverage: {}", s.message()))?
        .into_inner();
    let unlinked = unlinked_accounts(&mut client, &token, &args.court).await?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Table => table(&mut out, &counts, &unlinked)?,
        Format::Csv => csv(&mut out, &unlinked)?,
    }
    Ok(())
}

/// Every unlinked account of `court`, page by page.
async fn unlinked_accounts(
    client: &mut AccountAdminServiceClient<Channel>,
    token: &str,
    court: &str,
) -> anyhow::Result<Vec<proto::EcfAccountListing>> {
    let mut accounts = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = proto::ListEcfAccountsRequest {
            court_id: court.to_owned(),
            link_state: LinkState::Unlinked.into(),
            page_size: 1000,
            page_token,
        };
        let page = client
            .list_ecf_accounts(admin_request(token, request)?)
            .await
            .map_err(|s| anyhow::anyhow!("ListEcfAccounts: {}", s.message()))?
            .into_inner();
        accounts.extend(page.accounts);
        if page.next_page_token.is_empty() {
            return Ok(accounts);
        }
        page_token = page.next_page_token;
    }
}

fn last_failure(account: &proto::EcfAccountListing) -> String {
    account
        .last_failure_time
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

fn table(
    out: &mut impl Write,
    c: &proto::LinkCoverage,
    unlinked: &[proto::EcfAccountListing],
) -> std::io::Result<()> {
    let percent = (c.linked * 1000)
        .checked_div(c.ecf_accounts)
        .map_or(0.0, |p| p as f64 / 10.0);
    writeln!(
        out,
        "Court {}: {} CM/ECF accounts, {} linked ({percent:.1} %), {} unlinked, \
         {} of them with failed sign-ins",
        c.court_id, c.ecf_accounts, c.linked, c.unlinked, c.unlinked_with_failed_attempts
    )?;
    if unlinked.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{:<24} {:<32} LAST FAILED SIGN-IN", "LOGIN", "NAME")?;
    for a in unlinked {
        writeln!(
            out,
            "{:<24} {:<32} {}",
            a.login,
            a.display_name,
            last_failure(a)
        )?;
    }
    Ok(())
}

fn csv(out: &mut impl Write, unlinked: &[proto::EcfAccountListing]) -> std::io::Result<()> {
    writeln!(out, "login,display_name,last_failed_sign_in")?;
    for a in unlinked {
        writeln!(
            out,
            "{},{},{}",
            csv_field(&a.login),
            csv_field(&a.display_name),
            csv_field(&last_failure(a))
        )?;
    }
    Ok(())
}

/// A CSV field: quoted when it holds a separator or quote, and with a
/// leading `'` when a spreadsheet would read it as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("Haze, Dolores"), "\"Haze, Dolores\"");
        assert_eq!(csv_field("Say \"hi\""), "\"Say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("coalice"), "coalice");
    }
}
