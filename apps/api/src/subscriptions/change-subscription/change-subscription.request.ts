import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsOptional, IsString, ValidateNested } from 'class-validator';
import { MAX_SUBSCRIPTION_ITEMS } from '@accrual/billing';
import { SubscriptionItemRequest } from '../create-subscription/create-subscription.request';

export class ChangeSubscriptionRequest {
  @IsString() effectiveAt!: string;
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_SUBSCRIPTION_ITEMS)
  @ValidateNested({ each: true })
  @Type(() => SubscriptionItemRequest)
  items!: SubscriptionItemRequest[];
  @IsOptional() @IsBoolean() prorate?: boolean;
}
