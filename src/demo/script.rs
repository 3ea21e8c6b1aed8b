//! The changes the demo makes in the simulators, through their admin APIs, so events flow:
//! a first round (creations, then an update) polled at once, then one change every little while.

use std::time::Duration;

use anyhow::Context;
use serde_json::{json, Value};
use tokio::sync::watch;

use super::http::{Api, Simulator};
use super::receiver::Tally;
use super::{clock, ACCOUNTING, CRM};

/// How long the first round waits for its CREATED events before making the update anyway.
const CREATED_WAIT: Duration = Duration::from_secs(15);
/// The pause between creation and update: record dates have whole seconds, and an update in
/// the same second as the creation would still read as a creation.
const MOMENT: Duration = Duration::from_secs(2);

/// Waits into the next whole second: record dates have whole seconds, and a record dated in
/// the second an instance was registered reads as older than the instance, so no event.
async fn past_registration_second() {
    let into_second = chrono::Utc::now().timestamp_subsec_millis();
    let rest = 1000u64.saturating_sub(u64::from(into_second)) + 100;
    tokio::time::sleep(Duration::from_millis(rest)).await;
}

/// Both simulators and the instances polling them.
pub struct Script {
    pub api: Api,
    pub crm: Simulator,
    pub accounting: Simulator,
    pub crm_instance: u64,
    pub accounting_instance: u64,
    companies: Vec<String>,
    customers: Vec<String>,
    round: usize,
}

fn id_of(record: &Value, field: &str) -> anyhow::Result<String> {
    match &record[field] {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => anyhow::bail!("simulator answer without '{field}': {record}"),
    }
}

impl Script {
    pub fn new(
        api: Api,
        crm: Simulator,
        accounting: Simulator,
        crm_instance: u64,
        accounting_instance: u64,
    ) -> Script {
        Script {
            api,
            crm,
            accounting,
            crm_instance,
            accounting_instance,
            companies: Vec::new(),
            customers: Vec::new(),
            round: 0,
        }
    }

    async fn create_company(&mut self, name: &str) -> anyhow::Result<()> {
        let record = self
            .crm
            .post("/_sim/company", json!({"Comp_Name": name}))
            .await?;
        let id = id_of(&record, "$key")?;
        println!(
            "{}  change: Sage CRM company '{name}' created (id {id})",
            clock()
        );
        self.companies.push(id);
        Ok(())
    }

    async fn create_person(&mut self, first: &str, last: &str) -> anyhow::Result<()> {
        let body = json!({"Pers_FirstName": first, "Pers_LastName": last});
        let record = self.crm.post("/_sim/person", body).await?;
        let id = id_of(&record, "$key")?;
        println!(
            "{}  change: Sage CRM person '{first} {last}' created (id {id})",
            clock()
        );
        Ok(())
    }

    async fn create_customer(&mut self, name: &str) -> anyhow::Result<()> {
        let body = json!({"name": name, "contact_types": [{"id": "CUSTOMER"}]});
        let record = self.accounting.post("/_sim/contacts", body).await?;
        let id = id_of(&record, "id")?;
        println!(
            "{}  change: Sage Accounting customer '{name}' created (id {id})",
            clock()
        );
        self.customers.push(id);
        Ok(())
    }

    async fn rename_company(&self, index: usize, name: &str) -> anyhow::Result<()> {
        let id = self.companies.get(index).context("no company to rename")?;
        self.crm
            .patch(&format!("/_sim/company/{id}"), json!({"Comp_Name": name}))
            .await?;
        println!(
            "{}  change: Sage CRM company {id} renamed '{name}'",
            clock()
        );
        Ok(())
    }

    async fn rename_customer(&self, index: usize, name: &str) -> anyhow::Result<()> {
        let id = self.customers.get(index).context("no customer to rename")?;
        self.accounting
            .patch(&format!("/_sim/contacts/{id}"), json!({"name": name}))
            .await?;
        println!(
            "{}  change: Sage Accounting customer {id} renamed '{name}'",
            clock()
        );
        Ok(())
    }

    async fn poll_both(&self) -> anyhow::Result<()> {
        println!(
            "{}  poll: POST /instances/{{{},{}}}/poll (the scheduler also polls every minute)",
            clock(),
            self.crm_instance,
            self.accounting_instance
        );
        self.api.poll_now(self.crm_instance).await?;
        self.api.poll_now(self.accounting_instance).await
    }

    /// Creations in both vendors, a poll; once they are delivered (or after a while), an
    /// update in each and another poll.
    pub async fn first_round(&mut self, mut tally: watch::Receiver<Tally>) -> anyhow::Result<()> {
        past_registration_second().await;
        self.create_company("Acme Ltd").await?;
        self.create_company("Globex").await?;
        self.create_person("Jane", "Doe").await?;
        self.create_customer("Initech").await?;
        self.poll_both().await?;
        let both_created = tally.wait_for(|t| {
            [CRM, ACCOUNTING]
                .iter()
                .all(|e| t.verified.contains(&(e.to_string(), "CREATED".to_owned())))
        });
        // Not fatal: a slow delivery still shows up later; the update goes ahead regardless.
        let _ = tokio::time::timeout(CREATED_WAIT, both_created).await;
        tokio::time::sleep(MOMENT).await;
        self.rename_company(0, "Acme Corporation").await?;
        self.rename_customer(0, "Initech Inc").await?;
        self.poll_both().await
    }

    /// One change every `every`, forever; the scheduler's minute polls pick them up.
    pub async fn keep_changing(&mut self, every: Duration) -> anyhow::Result<()> {
        loop {
            tokio::time::sleep(every).await;
            self.round += 1;
            let n = self.round;
            match n % 4 {
                1 => self.create_company(&format!("Demo Co {n}")).await?,
                2 => self.rename_customer(0, &format!("Initech ({n})")).await?,
                3 => self.create_customer(&format!("Customer {n}")).await?,
                _ => self.rename_company(1, &format!("Globex ({n})")).await?,
            }
        }
    }
}
