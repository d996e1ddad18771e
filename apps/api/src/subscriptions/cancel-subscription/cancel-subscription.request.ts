import { IsBoolean, IsOptional, IsString } from 'class-validator';

/** `{at, prorate?}` cancels at `at`; `{atPeriodEnd: true}` at the end of the current period. */
export class CancelSubscriptionRequest {
  @IsOptional() @IsString() at?: string;
  @IsOptional() @IsBoolean() prorate?: boolean;
  @IsOptional() @IsBoolean() atPeriodEnd?: boolean;
}
