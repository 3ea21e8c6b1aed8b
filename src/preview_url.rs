//! `pollhook preview-url`: expands a poll URL template the way a poll at `--at` would.

use chrono::{DateTime, Utc};
use pollhook_core::time_zone::TimeZoneSpec;
use pollhook_core::url_template::UrlTemplate;

#[derive(clap::Args)]
pub struct PreviewArgs {
    /// The resource's `url`, e.g. "/hubs/crm/accounts?where=Comp_UpdatedDate>'${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'".
    #[arg(long)]
    template: String,
    /// The instant a poll reads from, RFC 3339 (e.g. 2024-05-01T10:20:30Z): a real poll uses
    /// the last poll's start less `pollDelay` and the lookback (60 s).
    #[arg(long)]
    at: String,
    /// Zone for `${date:...}` (the resource's updatedDateTimezone); `${gmtDate}` is always GMT.
    #[arg(long, default_value = "UTC")]
    timezone: String,
}

pub fn run(args: PreviewArgs) -> anyhow::Result<()> {
    if args.template.trim().is_empty() {
        anyhow::bail!("--template: must not be empty; give a resource's url, e.g. /hubs/crm/accounts?where=...");
    }
    let at: DateTime<Utc> = DateTime::parse_from_rfc3339(args.at.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            anyhow::anyhow!(
                "--at: '{}' is not an RFC 3339 instant such as 2024-05-01T10:20:30Z",
                args.at
            )
        })?;
    let zone =
        TimeZoneSpec::parse(&args.timezone).map_err(|e| anyhow::anyhow!("--timezone: {e}"))?;
    let template =
        UrlTemplate::parse(&args.template).map_err(|e| anyhow::anyhow!("--template: {e}"))?;
    println!("{}", template.expand(at, &zone));
    Ok(())
}
