//! The page sites' state of a Lambda function, from its environment: the citizen portal
//! and the office screens call the case, payment and appointment use cases in-process
//! (each wired as its own function wires it), keep their browser sessions on the table,
//! and sign people in as their OIDC client: the id and the public URL from the
//! environment, the client secret read from Secrets Manager once per execution
//! environment (the template gives only its ARN).

use crate::StartError;
use crate::accounts::notices_on_aws;
use crate::payments::{merchant_secret_arn, read_merchant_secret};
use std::sync::Arc;
use varoskapu_aws::secrets::{SecretsManager, secret_arn};
use varoskapu_book_appointment::AppointmentsState;
use varoskapu_case_api::CasesState;
use varoskapu_core::{Clock, SystemClock, Table, UuidV7Ids};
use varoskapu_http::auth::TokenValidator;
use varoskapu_office_web::OfficeState;
use varoskapu_pay_fee::PayFeeState;
use varoskapu_portal::PortalState;

/// The ARN of the secret holding the portal's OIDC client secret.
pub const PORTAL_CLIENT_SECRET_ARN_VAR: &str = "VAROSKAPU_PORTAL_CLIENT_SECRET_ARN";
/// The ARN of the secret holding the office screens' OIDC client secret.
pub const OFFICE_CLIENT_SECRET_ARN_VAR: &str = "VAROSKAPU_OFFICE_CLIENT_SECRET_ARN";

/// What a page site calls and keeps, and its client secret.
struct SiteServices {
    client_secret: String,
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    tokens: Arc<TokenValidator>,
    cases: CasesState,
    payments: PayFeeState,
    appointments: AppointmentsState,
    crm: varoskapu_core::crm::Crm,
}

/// The use cases of a site whose client secret's ARN is in `client_secret_arn_var`; a
/// missing setting or an unreadable secret stops start-up naming it.
async fn services_from_env(
    client_secret_arn_var: &'static str,
) -> Result<SiteServices, StartError> {
    let aws = varoskapu_aws::AwsConfig::from_env()?;
    // Both secrets' settings are checked before any call to AWS.
    let client_secret_arn = secret_arn(|name| std::env::var(name).ok(), client_secret_arn_var)?;
    let merchant_secret_arn = merchant_secret_arn()?;
    let sdk = aws.sdk_config().await;
    let secrets = SecretsManager::new(&sdk);
    // The secrets are read beside the case state's construction, so their round trips
    // overlap it (as pay-fee reads its one).
    let (cases, client_secret, merchant_secret) = tokio::try_join!(
        crate::cases::state_on(&aws, &sdk),
        async {
            secrets
                .read(client_secret_arn_var, &client_secret_arn)
                .await
                .map_err(StartError::from)
        },
        read_merchant_secret(&secrets, merchant_secret_arn.as_deref()),
    )?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let table = cases.cases.store.table.clone();
    let tokens = cases.tokens.clone();
    let payments = crate::payments::state_with(cases.clone(), merchant_secret)?;
    let appointments = AppointmentsState::new(
        table.clone(),
        clock.clone(),
        Arc::new(UuidV7Ids),
        notices_on_aws(&sdk, table.clone(), clock.clone())?,
        tokens.clone(),
    )?;
    let crm = crate::crm::reading_crm(
        &aws,
        &sdk,
        table.clone(),
        clock.clone(),
        cases.cases.audit.clone(),
    )
    .await?;
    Ok(SiteServices {
        client_secret,
        crm,
        table,
        clock,
        tokens,
        cases,
        payments,
        appointments,
    })
}

/// Identification against the registry service the environment names, if it names one.
fn identification_from_env(
    crm: &varoskapu_core::crm::Crm,
    clock: &Arc<dyn Clock>,
) -> Result<Option<varoskapu_core::crm::identify::PersonIdentification>, StartError> {
    Ok(crate::crm::registry_from_env()?.map(|registry| {
        varoskapu_core::crm::identify::PersonIdentification::new(
            crm.store.clone(),
            registry,
            clock.clone(),
            Arc::new(UuidV7Ids),
            crm.audit().clone(),
        )
    }))
}

/// The citizen portal's state from the environment.
pub async fn portal_from_env() -> Result<PortalState, StartError> {
    let s = services_from_env(PORTAL_CLIENT_SECRET_ARN_VAR).await?;
    let config = varoskapu_portal::config::from_env_with_secret(s.client_secret)?;
    // Without a registry service the identification page says it is unavailable.
    let identification = identification_from_env(&s.crm, &s.clock)?;
    Ok(PortalState::new(
        config,
        s.table,
        s.clock,
        s.tokens,
        s.cases,
        s.payments,
        s.appointments,
        s.crm,
        identification,
    ))
}

/// The office screens' state from the environment.
pub async fn office_from_env() -> Result<OfficeState, StartError> {
    let s = services_from_env(OFFICE_CLIENT_SECRET_ARN_VAR).await?;
    let config = varoskapu_office_web::config::from_env_with_secret(s.client_secret)?;
    let identification = identification_from_env(&s.crm, &s.clock)?;
    let office = OfficeState::new(
        config,
        s.table,
        s.clock,
        s.tokens,
        s.cases,
        s.payments,
        s.appointments,
        s.crm,
    );
    Ok(match identification {
        Some(i) => office.with_identification(i),
        None => office,
    })
}
