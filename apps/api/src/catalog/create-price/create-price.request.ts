import { Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsObject, IsOptional, IsString, Matches, ValidateIf, ValidateNested } from 'class-validator';
import { INTERVALS, PRICE_MODELS } from '@accrual/billing';
import { ID_MESSAGE, ID_REGEX, IsDecimalLike, IsDecimalString } from '../../shared/validators';

export class RecurringRequest {
  @IsIn(INTERVALS) interval!: string;
  @IsOptional() @IsInt() intervalCount?: number;
  @IsOptional() @IsIn(['licensed', 'metered']) usage?: string;
  @IsOptional() @IsString() meterCode?: string;
}

export class TierRequest {
  @ValidateIf((_tier, value) => value !== null) @IsDecimalLike() upTo!: string | number | null;
  @IsDecimalString() unitAmount!: string;
  @IsOptional() @IsDecimalString() flatAmount?: string;
}

export class CreatePriceRequest {
  @IsOptional() @Matches(ID_REGEX, { message: ID_MESSAGE }) id?: string;
  @IsString() product!: string;
  @IsString() currency!: string;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => RecurringRequest) recurring?: RecurringRequest;
  @IsIn(PRICE_MODELS) model!: string;
  @IsOptional() @IsDecimalString() unitAmount?: string;
  @IsOptional() @IsDecimalString() flatAmount?: string;
  @IsOptional() @IsDecimalLike() packageSize?: string | number;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => TierRequest) tiers?: TierRequest[];
}
