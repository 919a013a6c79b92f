//! Bank statements (camt.053/054): imported once, each entry matched to a payment or
//! queued for a clerk, who links or unlinks it.

use super::*;

impl Payments {
    /// Imports a camt.053/054 file: statements and entries are recorded by conditional
    /// writes, so importing the same file again changes nothing.
    pub async fn import(&self, xml: &str, actor: Actor) -> Result<ImportSummary, PaymentError> {
        let statements = camt::parse(xml)?;
        self.import_statements(statements, actor, None).await
    }

    /// Imports statements already parsed (the HTTP route parses on a blocking thread).
    /// Only statements of the municipality's collection account are taken; the others are
    /// listed in the summary as refused, their entries neither settle nor are recorded.
    pub async fn import_statements(
        &self,
        statements: Vec<camt::Statement>,
        actor: Actor,
        origin: Option<&str>,
    ) -> Result<ImportSummary, PaymentError> {
        // Statements name payers and their accounts: who brought them in is on record.
        let imported =
            self.cases
                .audit
                .event(payments_register(), &actor, "import_statement", origin);
        self.cases.audit.record(imported).await?;
        let mut summary = ImportSummary::default();
        let collection = &self.settings.seller.bank_account;
        for statement in statements {
            summary.statements += 1;
            if !account::same_account(&statement.account, collection) {
                tracing::warn!(
                    statement = %statement.id,
                    "bank statement of another account refused"
                );
                summary.refused.push(RefusedStatement {
                    reason: if statement.account.is_empty() {
                        "the statement names no account (Acct/Id/IBAN)".into()
                    } else {
                        format!(
                            "the statement is of account {}, not of the collection account {}",
                            statement.account, collection
                        )
                    },
                    statement_id: statement.id,
                    account: statement.account,
                });
                continue;
            }
            if !self
                .store
                .record_statement(&statement.id, self.now())
                .await?
            {
                summary.already_imported += 1;
                continue;
            }
            for entry in statement.entries {
                summary.entries += 1;
                if self.store.entry(&entry.entry_id).await?.is_some() {
                    summary.duplicates += 1;
                    continue;
                }
                self.import_entry(entry, &statement.id, &actor, &mut summary)
                    .await?;
            }
        }
        Ok(summary)
    }

    pub(super) async fn import_entry(
        &self,
        entry: camt::StatementEntry,
        statement_id: &str,
        actor: &Actor,
        summary: &mut ImportSummary,
    ) -> Result<(), PaymentError> {
        let referenced = match matching::reference_of(&entry) {
            Some(r) => self.store.by_reference(&r).await?,
            None => None,
        };
        let open = if referenced.is_none() && entry.credit {
            self.store.open().await?
        } else {
            Vec::new()
        };
        let decision = matching::decide(&entry, referenced.as_ref(), &open);
        let now = self.now();
        let event = |action: &str, payment_id, remark: Option<String>| EntryEvent {
            at: now,
            actor: actor.clone(),
            action: action.into(),
            payment_id,
            remark,
        };
        let mut record = BankEntry {
            entry: entry.clone(),
            statement_id: statement_id.to_owned(),
            status: EntryStatus::Queued,
            payment_id: None,
            suggestion: None,
            reason: None,
            history: vec![event("imported", None, None)],
        };
        match decision {
            MatchDecision::Settle(suggestion) => {
                record.status = EntryStatus::Matched;
                record.payment_id = Some(suggestion.payment_id);
                record.suggestion = Some(suggestion);
                record.history.push(event(
                    "matched",
                    Some(suggestion.payment_id),
                    Some(format!("{:?} {}%", suggestion.basis, suggestion.confidence)),
                ));
                let source = SettlementSource::BankEntry {
                    entry_id: entry.entry_id.clone(),
                };
                let ops = vec![PaymentStore::entry_op(&record, None)?];
                match self
                    .settle(
                        suggestion.payment_id,
                        source,
                        entry.amount.clone(),
                        Actor::System,
                        None,
                        ops,
                    )
                    .await?
                {
                    Settled::Now(_) | Settled::Already(_) => summary.settled += 1,
                    Settled::Overpaid(_) => summary.overpaid += 1,
                }
            }
            MatchDecision::Queue { suggestion, reason } => {
                record.suggestion = suggestion;
                record.reason = Some(reason);
                record
                    .history
                    .push(event("queued", suggestion.map(|s| s.payment_id), None));
                self.put_new_entry(&record).await?;
                summary.queued += 1;
            }
            MatchDecision::Skip(reason) => {
                record.status = EntryStatus::Skipped;
                record.reason = Some(reason);
                self.put_new_entry(&record).await?;
                summary.skipped += 1;
            }
        }
        Ok(())
    }

    pub(super) async fn put_new_entry(&self, record: &BankEntry) -> Result<(), PaymentError> {
        match self
            .store
            .table
            .transact(vec![PaymentStore::entry_op(record, None)?])
            .await
        {
            // A concurrent import of the same entry got there first.
            Ok(()) | Err(TableError::TransactionFailed { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Entries waiting for a clerk (payers' names and accounts: the read is audited).
    pub async fn queue(&self, by: &OfficeActor) -> Result<Vec<BankEntry>, PaymentError> {
        self.record_read(by, "read_matching_queue").await?;
        Ok(self.store.queue().await?)
    }

    /// A clerk links a queued entry to a payment (overriding any suggestion); audited on
    /// the entry and the case.
    pub async fn link(
        &self,
        by: &OfficeActor,
        entry_id: &str,
        payment_id: Uuid,
    ) -> Result<Settled, PaymentError> {
        let (mut record, version) = self
            .store
            .entry(entry_id)
            .await?
            .ok_or(PaymentError::UnknownEntry)?;
        if record.status != EntryStatus::Queued {
            return Err(PaymentError::EntryNotQueued);
        }
        let payment = self.payment(payment_id).await?;
        record.status = EntryStatus::Matched;
        record.payment_id = Some(payment_id);
        record.suggestion = Some(Suggestion {
            payment_id,
            confidence: 100,
            basis: MatchBasis::Clerk,
        });
        record.history.push(EntryEvent {
            at: self.now(),
            actor: by.actor.clone(),
            action: "linked".into(),
            payment_id: Some(payment_id),
            remark: None,
        });
        let mut ops = vec![PaymentStore::entry_op(&record, Some(version))?];
        ops.extend(
            self.cases
                .audit
                .seal(vec![self.cases.audit_entry(
                    &by.actor,
                    payment.case_id,
                    "link_bank_entry",
                    by.origin.as_deref(),
                )])
                .await?,
        );
        self.settle(
            payment_id,
            SettlementSource::BankEntry {
                entry_id: entry_id.to_owned(),
            },
            record.entry.amount.clone(),
            by.actor.clone(),
            by.origin.as_deref(),
            ops,
        )
        .await
    }

    /// A clerk links a queued entry to a case: to the case's open payment (the one the
    /// entry's suggestion names first), or, when the citizen never started one, to a new
    /// bank-transfer payment of the fee the case awaits.
    pub async fn link_to_case(
        &self,
        by: &OfficeActor,
        entry_id: &str,
        case_id: Uuid,
    ) -> Result<(Uuid, Settled), PaymentError> {
        let (record, _) = self
            .store
            .entry(entry_id)
            .await?
            .ok_or(PaymentError::UnknownEntry)?;
        if record.status != EntryStatus::Queued {
            return Err(PaymentError::EntryNotQueued);
        }
        let suggested = record.suggestion.map(|s| s.payment_id);
        let mut open: Vec<Payment> = self
            .store
            .of_case(case_id)
            .await?
            .into_iter()
            .filter(|p| p.status.is_open())
            .collect();
        open.sort_by_key(|p| {
            (
                Some(p.id) != suggested,
                p.method != PaymentMethod::BankTransfer,
            )
        });
        let payment_id = match open.first() {
            Some(p) => p.id,
            None => {
                self.new_office_payment(
                    by,
                    case_id,
                    PaymentMethod::BankTransfer,
                    format!("bank entry {entry_id} linked by the office"),
                )
                .await?
                .id
            }
        };
        Ok((payment_id, self.link(by, entry_id, payment_id).await?))
    }

    /// A clerk decides a queued entry pays no fee (to be returned to the sender), dropping
    /// the automatic suggestion; audited on the entry.
    pub async fn unlink(
        &self,
        by: &OfficeActor,
        entry_id: &str,
        remark: Option<String>,
    ) -> Result<BankEntry, PaymentError> {
        for _ in 0..MAX_ATTEMPTS {
            let (mut record, version) = self
                .store
                .entry(entry_id)
                .await?
                .ok_or(PaymentError::UnknownEntry)?;
            if record.status != EntryStatus::Queued {
                return Err(PaymentError::EntryNotQueued);
            }
            let dropped = record.suggestion.take().map(|s| s.payment_id);
            record.status = EntryStatus::Unmatched;
            record.history.push(EntryEvent {
                at: self.now(),
                actor: by.actor.clone(),
                action: "unlinked".into(),
                payment_id: dropped,
                remark: remark.clone(),
            });
            match self
                .store
                .table
                .transact(vec![PaymentStore::entry_op(&record, Some(version))?])
                .await
            {
                Ok(()) => return Ok(record),
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PaymentError::Busy)
    }
}
