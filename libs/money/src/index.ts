// @accrual/money: pure decimal and money arithmetic (no I/O, no clock, no framework).
export { ALLOCATION_PARTS_MAX, allocate } from './allocation';
export { CURRENCY_CODES, type CurrencyCode, type MinorUnitDigits, isCurrencyCode, minorUnitDigits } from './currencies';
export {
  DECIMAL_TEXT_LENGTH_MAX,
  DIVISION_DECIMAL_PLACES_MAX,
  type ParseDecimalOptions,
  QUANTITY_DECIMAL_PLACES_MAX,
  StrictBig,
  formatDecimal,
  parseDecimal,
  parseQuantity,
} from './decimal';
export {
  CurrencyMismatchError,
  InvalidAllocationError,
  InvalidDecimalError,
  MoneyError,
  type MoneyErrorCode,
  UnknownCurrencyError,
} from './errors';
export { Money, type Rounding, parseAmount, roundToMinorUnit, sum } from './money';
