import { CustomerProfile } from '@accrual/billing';
import { RevealedPersonalData } from '@accrual/platform';

/**
 * A customer as the API shows it: personal fields opened (Stripe's `name`, `email`, `address`),
 * or null with `erased: true` after a GDPR erasure; everything else as stored.
 */
export function customerView(profile: CustomerProfile, personal: RevealedPersonalData): Record<string, unknown> {
  const { personal: _stored, id, ...rest } = profile;
  return { id, name: personal.name, email: personal.email, address: personal.address, ...rest, erased: personal.erased };
}
