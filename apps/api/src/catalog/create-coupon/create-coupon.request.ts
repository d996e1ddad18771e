import { IsIn, IsInt, IsOptional, IsString, Matches } from 'class-validator';
import { COUPON_DURATIONS } from '@accrual/billing';
import { ID_MESSAGE, ID_REGEX, IsDecimalLike, IsDecimalString } from '../../shared/validators';

/** The shape of `POST /v1/coupons`; the domain (`createCoupon`) checks what the values mean. */
export class CreateCouponRequest {
  @Matches(ID_REGEX, { message: ID_MESSAGE }) id!: string;
  @IsOptional() @IsDecimalLike() percentOff?: string | number;
  @IsOptional() @IsDecimalString() amountOff?: string;
  @IsOptional() @IsString() currency?: string;
  @IsIn(COUPON_DURATIONS) duration!: string;
  @IsOptional() @IsInt() durationInMonths?: number;
}
