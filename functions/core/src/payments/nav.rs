//! NAV Online Számla v3 data of the invoices issued for fees: the `InvoiceData` XML
//! (seller, a private-person buyer whose personal data NAV must not receive, one line per
//! fee with its VAT treatment), the request signature NAV's API checks, and the
//! `InvoiceReporter` port through which invoices are reported.

use crate::cases::Money;
use crate::table::{Condition, ItemWrite, Key, Table, TableError};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha3::{Digest, Sha3_512};
use std::sync::Arc;

/// The municipality as the invoice's supplier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seller {
    /// The eight-digit taxpayer id (törzsszám).
    pub taxpayer_id: String,
    /// VAT code (one digit) of the tax number.
    pub vat_code: String,
    /// County code (two digits) of the tax number.
    pub county_code: String,
    pub name: String,
    pub postal_code: String,
    pub city: String,
    pub street_name: String,
    pub public_place_category: String,
    pub number: String,
    /// Where transfers go (GIRO `12345678-12345678-12345678` or IBAN).
    pub bank_account: String,
}

impl Seller {
    /// The demo municipality (NAV's test taxpayer id).
    pub fn demo() -> Self {
        Self {
            taxpayer_id: "15735650".into(),
            vat_code: "1".into(),
            county_code: "41".into(),
            name: "Demo Város Önkormányzata".into(),
            postal_code: "1051".into(),
            city: "Budapest".into(),
            street_name: "Városház".into(),
            public_place_category: "utca".into(),
            number: "9-11".into(),
            bank_account: "11784009-15735650-00000000".into(),
        }
    }
}

/// How VAT applies to a fee line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VatTreatment {
    /// A fee levied as a public authority: outside the VAT Act's scope (ATK).
    OutOfScope,
    /// An exempt supply (TAM: tárgyi adómentes).
    Exempt,
}

/// One invoice as NAV sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceFacts {
    pub number: String,
    pub issued_on: Date,
    pub delivered_on: Date,
    pub paid_on: Date,
    /// `TRANSFER`, `CASH` or `CARD`.
    pub payment_method: &'static str,
    pub line_description: String,
    pub amount: Money,
    pub vat: VatTreatment,
    /// Our references printed as additional data (case number, payment reference).
    pub case_label: String,
    pub payment_reference: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A monetary amount in NAV's decimal form (`12000.00`); minor units of HUF are forints.
fn decimal(money: &Money) -> String {
    let exponent = super::camt::minor_unit_exponent(&money.currency);
    if exponent == 0 {
        format!("{}.00", money.amount)
    } else {
        let scale = 10i64.pow(exponent);
        let sign = if money.amount < 0 { "-" } else { "" };
        let abs = money.amount.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale as u64,
            abs % scale as u64,
            width = exponent as usize
        )
    }
}

/// The `InvoiceData` XML of an invoice (NAV Online Számla 3.0).
pub fn invoice_data_xml(seller: &Seller, invoice: &InvoiceFacts) -> String {
    let amount = decimal(&invoice.amount);
    let vat_rate = match invoice.vat {
        VatTreatment::OutOfScope => {
            "<vatOutOfScope><case>ATK</case><reason>Áfa tv. hatályán kívüli: hatósági eljárási díj</reason></vatOutOfScope>"
        }
        VatTreatment::Exempt => {
            "<vatExemption><case>TAM</case><reason>Tárgyi adómentes</reason></vatExemption>"
        }
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<InvoiceData xmlns="http://schemas.nav.gov.hu/OSA/3.0/data" xmlns:common="http://schemas.nav.gov.hu/NTCA/1.0/common" xmlns:base="http://schemas.nav.gov.hu/OSA/3.0/base">
<invoiceNumber>{number}</invoiceNumber>
<invoiceIssueDate>{issued}</invoiceIssueDate>
<completenessIndicator>false</completenessIndicator>
<invoiceMain><invoice>
<invoiceHead>
<supplierInfo>
<supplierTaxNumber><base:taxpayerId>{taxpayer}</base:taxpayerId><base:vatCode>{vat_code}</base:vatCode><base:countyCode>{county}</base:countyCode></supplierTaxNumber>
<supplierName>{seller_name}</supplierName>
<supplierAddress><base:detailedAddress><base:countryCode>HU</base:countryCode><base:postalCode>{postal}</base:postalCode><base:city>{city}</base:city><base:streetName>{street}</base:streetName><base:publicPlaceCategory>{category}</base:publicPlaceCategory><base:number>{house}</base:number></base:detailedAddress></supplierAddress>
<supplierBankAccountNumber>{account}</supplierBankAccountNumber>
</supplierInfo>
<customerInfo><customerVatStatus>PRIVATE_PERSON</customerVatStatus></customerInfo>
<invoiceDetail>
<invoiceCategory>NORMAL</invoiceCategory>
<invoiceDeliveryDate>{delivered}</invoiceDeliveryDate>
<currencyCode>{currency}</currencyCode>
<exchangeRate>1</exchangeRate>
<paymentMethod>{method}</paymentMethod>
<paymentDate>{paid}</paymentDate>
<invoiceAppearance>ELECTRONIC</invoiceAppearance>
<additionalInvoiceData><dataName>A00001_UGYSZAM</dataName><dataDescription>Ügyszám</dataDescription><dataValue>{case}</dataValue></additionalInvoiceData>
<additionalInvoiceData><dataName>A00002_FIZAZON</dataName><dataDescription>Fizetési azonosító</dataDescription><dataValue>{reference}</dataValue></additionalInvoiceData>
</invoiceDetail>
</invoiceHead>
<invoiceLines>
<mergedItemIndicator>false</mergedItemIndicator>
<line>
<lineNumber>1</lineNumber>
<lineExpressionIndicator>true</lineExpressionIndicator>
<lineNatureIndicator>SERVICE</lineNatureIndicator>
<lineDescription>{description}</lineDescription>
<quantity>1</quantity>
<unitOfMeasure>PIECE</unitOfMeasure>
<unitPrice>{amount}</unitPrice>
<unitPriceHUF>{amount}</unitPriceHUF>
<lineAmountsNormal>
<lineNetAmountData><lineNetAmount>{amount}</lineNetAmount><lineNetAmountHUF>{amount}</lineNetAmountHUF></lineNetAmountData>
<lineVatRate>{vat_rate}</lineVatRate>
<lineVatData><lineVatAmount>0.00</lineVatAmount><lineVatAmountHUF>0.00</lineVatAmountHUF></lineVatData>
<lineGrossAmountData><lineGrossAmountNormal>{amount}</lineGrossAmountNormal><lineGrossAmountNormalHUF>{amount}</lineGrossAmountNormalHUF></lineGrossAmountData>
</lineAmountsNormal>
</line>
</invoiceLines>
<invoiceSummary>
<summaryNormal>
<summaryByVatRate>
<vatRate>{vat_rate}</vatRate>
<vatRateNetData><vatRateNetAmount>{amount}</vatRateNetAmount><vatRateNetAmountHUF>{amount}</vatRateNetAmountHUF></vatRateNetData>
<vatRateVatData><vatRateVatAmount>0.00</vatRateVatAmount><vatRateVatAmountHUF>0.00</vatRateVatAmountHUF></vatRateVatData>
<vatRateGrossData><vatRateGrossAmount>{amount}</vatRateGrossAmount><vatRateGrossAmountHUF>{amount}</vatRateGrossAmountHUF></vatRateGrossData>
</summaryByVatRate>
<invoiceNetAmount>{amount}</invoiceNetAmount>
<invoiceNetAmountHUF>{amount}</invoiceNetAmountHUF>
<invoiceVatAmount>0.00</invoiceVatAmount>
<invoiceVatAmountHUF>0.00</invoiceVatAmountHUF>
</summaryNormal>
<summaryGrossData><invoiceGrossAmount>{amount}</invoiceGrossAmount><invoiceGrossAmountHUF>{amount}</invoiceGrossAmountHUF></summaryGrossData>
</invoiceSummary>
</invoice></invoiceMain>
</InvoiceData>
"#,
        number = escape(&invoice.number),
        issued = invoice.issued_on,
        delivered = invoice.delivered_on,
        paid = invoice.paid_on,
        taxpayer = escape(&seller.taxpayer_id),
        vat_code = escape(&seller.vat_code),
        county = escape(&seller.county_code),
        seller_name = escape(&seller.name),
        postal = escape(&seller.postal_code),
        city = escape(&seller.city),
        street = escape(&seller.street_name),
        category = escape(&seller.public_place_category),
        house = escape(&seller.number),
        account = escape(&seller.bank_account),
        currency = escape(&invoice.amount.currency),
        method = invoice.payment_method,
        case = escape(&invoice.case_label),
        reference = escape(&invoice.payment_reference),
        description = escape(&invoice.line_description),
    )
}

/// One invoice in a `manageInvoice` request: its operation and base64 data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceOperation {
    /// `CREATE`, `MODIFY` or `STORNO`.
    pub operation: String,
    /// base64 of the `InvoiceData` XML.
    pub invoice_data: String,
}

impl InvoiceOperation {
    pub fn create(xml: &str) -> Self {
        Self {
            operation: "CREATE".into(),
            invoice_data: STANDARD.encode(xml.as_bytes()),
        }
    }
}

fn sha3_upper(text: &str) -> String {
    hex::encode_upper(Sha3_512::digest(text.as_bytes()))
}

/// NAV's `requestSignature` of a `manageInvoice` request: SHA3-512 (upper-case hex) of the
/// request id, the UTC timestamp as `yyyyMMddHHmmss`, the signing key and, per invoice in
/// order, SHA3-512 of its operation and base64 data.
pub fn request_signature(
    request_id: &str,
    timestamp: Timestamp,
    signing_key: &str,
    invoices: &[InvoiceOperation],
) -> String {
    let mut partial = format!(
        "{request_id}{}{signing_key}",
        timestamp.strftime("%Y%m%d%H%M%S")
    );
    for invoice in invoices {
        partial.push_str(&sha3_upper(&format!(
            "{}{}",
            invoice.operation, invoice.invoice_data
        )));
    }
    sha3_upper(&partial)
}

/// What would be reported to NAV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceReport {
    pub invoice_number: String,
    pub operation: InvoiceOperation,
}

/// Why an invoice could not be reported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("the invoice report cannot be recorded: {0}")]
    Unavailable(String),
}

/// Reports invoices to NAV (the Online Számla API in production; recorded locally).
#[async_trait]
pub trait InvoiceReporter: Send + Sync + 'static {
    async fn report(&self, report: InvoiceReport) -> Result<(), ReportError>;
}

/// Records what would be sent to NAV in the table, once per invoice number.
pub struct RecordingInvoiceReporter {
    pub table: Arc<dyn Table>,
}

impl RecordingInvoiceReporter {
    fn key(invoice_number: &str) -> Key {
        Key::new("NAVOUTBOX", invoice_number)
    }

    /// What was recorded for an invoice number.
    pub async fn recorded(
        &self,
        invoice_number: &str,
    ) -> Result<Option<InvoiceReport>, TableError> {
        match self.table.get(&Self::key(invoice_number)).await? {
            Some(item) => item.parse().map(Some),
            None => Ok(None),
        }
    }
}

#[async_trait]
impl InvoiceReporter for RecordingInvoiceReporter {
    async fn report(&self, report: InvoiceReport) -> Result<(), ReportError> {
        let item = ItemWrite::from_serde(Self::key(&report.invoice_number), &report)
            .map_err(|e| ReportError::Unavailable(e.to_string()))?;
        match self.table.put(item, Condition::NotExists).await {
            Ok(_) | Err(TableError::ConditionFailed) => Ok(()),
            Err(e) => Err(ReportError::Unavailable(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_signature_follows_navs_recipe() {
        // NAV's documented example inputs; the expected value was computed independently
        // (Python hashlib.sha3_512) from the same recipe.
        let at: Timestamp = "2017-12-30T18:25:45Z".parse().expect("time");
        let invoices = [
            InvoiceOperation {
                operation: "CREATE".into(),
                invoice_data: "QWJjZDEyMzQ=".into(),
            },
            InvoiceOperation {
                operation: "MODIFY".into(),
                invoice_data: "RGNiYTQzMjE=".into(),
            },
        ];
        assert_eq!(
            request_signature(
                "TSTKFT1222564",
                at,
                "ce-8f5e-215119fa7dd621DLMRHRLH2S",
                &invoices
            ),
            "60BC80609EE3B8F42FE904200A49A1921A1DADA08D55319ACD40C59F626514B74EEA49011D372600A10DBCF8199D590DA9C2841D987308F2D83DAE17C2470C42"
        );
        assert_eq!(
            request_signature("TSTKFT1222564", at, "ce-8f5e-215119fa7dd621DLMRHRLH2S", &[]),
            "0493F2F0247A2DF076775631FFDFA8B6D39D051F4928D26426CD29895EEDB24960A23E4C6443A54806EA8B0E126A7B97940169FEADE6EE42FC99E3BE6F74AB04"
        );
    }

    #[test]
    fn amounts_are_written_as_decimals() {
        let huf = |amount| Money {
            amount,
            currency: "HUF".into(),
        };
        assert_eq!(decimal(&huf(12_000)), "12000.00");
        assert_eq!(
            decimal(&Money {
                amount: 1205,
                currency: "EUR".into()
            }),
            "12.05"
        );
    }

    #[test]
    fn invoice_data_names_no_private_person_and_escapes_text() {
        let xml = invoice_data_xml(
            &Seller::demo(),
            &InvoiceFacts {
                number: "VK/2026/000001".into(),
                issued_on: Date::constant(2026, 11, 24),
                delivered_on: Date::constant(2026, 11, 24),
                paid_on: Date::constant(2026, 11, 24),
                payment_method: "CARD",
                line_description: "Közterület-használat <díj> & költség".into(),
                amount: Money {
                    amount: 12_000,
                    currency: "HUF".into(),
                },
                vat: VatTreatment::OutOfScope,
                case_label: "2026/000001".into(),
                payment_reference: "VK000000000197".into(),
            },
        );
        assert!(
            xml.contains("<customerVatStatus>PRIVATE_PERSON</customerVatStatus></customerInfo>")
        );
        assert!(xml.contains("&lt;díj&gt; &amp; költség"));
        assert!(roxmltree::Document::parse(&xml).is_ok());
    }
}
