//! Addresses checked against the address register when a record is entered or corrected.
//!
//! A new or changed address the register does not know is a field error naming what is
//! wrong (`/addresses/1/street`), and nothing is written. An address the record already
//! held unverified is asked about again, but kept as it was if the register rejects it:
//! the clerk's edit did not touch it, and the cleansing list is where it gets fixed. When
//! the register does not answer, the desk is not stopped: the address stays unverified and
//! the record is flagged [`ADDRESS_UNCHECKED`] for the office.

use super::error::{CrmError, FieldError};
use super::person::Address;
use super::quality::fold::{fold, fold_street};
use super::registry::{AddressCheck, Registry};
use jiff::Timestamp;

/// The flag of a record whose address the register could not be asked about.
pub const ADDRESS_UNCHECKED: &str = "address_unchecked";

/// What identifies an address for the register: postcode, city, street and number, folded.
pub(crate) fn address_key(address: &Address) -> (String, String, String, String) {
    (
        address.postcode.trim().to_owned(),
        fold(&address.city),
        fold_street(&address.street),
        fold(&address.number),
    )
}

/// Whether the city typed matches the register's (`Budapest`, `Budapest XII. kerület`).
fn same_city(typed: &str, register: &str) -> bool {
    let (typed, register) = (fold(typed), fold(register));
    typed.starts_with(&register) || register.starts_with(&typed)
}

/// Checks `addresses` (already syntactically checked) against the register, given the
/// addresses the record held before; fills in the district and the time of the check.
/// `Ok(true)` when some address could not be checked because the register did not answer.
pub(crate) async fn verify_addresses(
    registry: Option<&dyn Registry>,
    addresses: &mut [Address],
    known: &[Address],
    now: Timestamp,
) -> Result<bool, CrmError> {
    let mut errors = Vec::new();
    let mut unchecked = false;
    for (i, address) in addresses.iter_mut().enumerate() {
        let key = address_key(address);
        let before = known.iter().find(|k| address_key(k) == key);
        if let Some(verified) = before.filter(|k| k.verified_at.is_some()) {
            address.district = verified.district.clone();
            address.verified_at = verified.verified_at;
            continue;
        }
        let Some(registry) = registry else {
            continue;
        };
        let answer = registry
            .address(&address.postcode, &address.street, &address.number)
            .await;
        match answer {
            Ok(AddressCheck::Valid { district, city }) => {
                if !same_city(&address.city, &city) {
                    if before.is_none() {
                        errors.push(FieldError::new(
                            format!("/addresses/{i}/city"),
                            format!("the address register has this address in {city}"),
                        ));
                    }
                    continue;
                }
                address.district = Some(district);
                address.verified_at = Some(now);
            }
            Ok(AddressCheck::Invalid { field }) => {
                if before.is_none() {
                    let field = match field.as_str() {
                        "postcode" | "street" | "number" | "city" => field,
                        _ => "street".to_owned(),
                    };
                    errors.push(FieldError::new(
                        format!("/addresses/{i}/{field}"),
                        "is not in the address register",
                    ));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "the address register did not answer; the address is kept unchecked");
                unchecked = true;
            }
        }
    }
    if errors.is_empty() {
        Ok(unchecked)
    } else {
        Err(CrmError::Invalid(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::person::AddressKind;
    use crate::crm::registry::in_test::TestRegistry;
    use futures::executor::block_on;

    fn at(postcode: &str, city: &str, street: &str, number: &str) -> Address {
        Address {
            kind: AddressKind::Permanent,
            postcode: postcode.into(),
            city: city.into(),
            street: street.into(),
            number: number.into(),
            district: None,
            valid_from: None,
            valid_until: None,
            verified_at: None,
        }
    }

    #[test]
    fn a_known_address_gets_its_district_and_a_mistyped_city_is_named() {
        let registry = TestRegistry::default();
        let now = Timestamp::UNIX_EPOCH;
        let mut addresses = vec![at("1051", "Budapest", "Nádor utca", "5")];
        let unchecked =
            block_on(verify_addresses(Some(&registry), &mut addresses, &[], now)).expect("valid");
        assert!(!unchecked);
        assert_eq!(addresses[0].district.as_deref(), Some("V"));
        assert_eq!(addresses[0].verified_at, Some(now));

        let mut wrong = vec![
            at("1051", "Budapest", "Nádor utca", "5"),
            at("1051", "Debrecen", "Nádor utca", "5"),
        ];
        let refused = block_on(verify_addresses(Some(&registry), &mut wrong, &[], now));
        assert_eq!(
            refused,
            Err(CrmError::Invalid(vec![FieldError::new(
                "/addresses/1/city",
                "the address register has this address in Budapest"
            )]))
        );
    }

    #[test]
    fn a_silent_register_keeps_the_address_unchecked_and_a_verified_one_is_not_asked_again() {
        let registry = TestRegistry::default();
        registry.set_down(true);
        let now = Timestamp::UNIX_EPOCH;
        let mut addresses = vec![at("1051", "Budapest", "Nádor utca", "5")];
        let unchecked =
            block_on(verify_addresses(Some(&registry), &mut addresses, &[], now)).expect("kept");
        assert!(unchecked);
        assert_eq!(addresses[0].verified_at, None);

        let mut known = at("1051", "Budapest", "nádor utca", "5");
        known.district = Some("V".into());
        known.verified_at = Some(now);
        let unchecked = block_on(verify_addresses(
            Some(&registry),
            &mut addresses,
            &[known],
            now,
        ))
        .expect("kept");
        assert!(!unchecked, "a verified address needs no answer");
        assert_eq!(addresses[0].district.as_deref(), Some("V"));
    }
}
