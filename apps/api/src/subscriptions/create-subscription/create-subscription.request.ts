import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, Matches, ValidateNested } from 'class-validator';
import { MAX_SUBSCRIPTION_ITEMS } from '@accrual/billing';
import { ID_MESSAGE, ID_REGEX, IsDecimalLike } from '../../shared/validators';

export class SubscriptionItemRequest {
  @IsString() priceId!: string;
  @IsOptional() @IsDecimalLike() quantity?: string | number;
}

export class CreateSubscriptionRequest {
  @IsOptional() @Matches(ID_REGEX, { message: ID_MESSAGE }) id?: string;
  @Matches(ID_REGEX, { message: ID_MESSAGE }) customerId!: string;
  @IsString() startDate!: string;
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_SUBSCRIPTION_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => SubscriptionItemRequest)
  items!: SubscriptionItemRequest[];
  @IsOptional() @IsString() billingAnchor?: string;
  @IsOptional() @IsString() trialEnd?: string;
  @IsOptional() @IsString() couponId?: string;
}
