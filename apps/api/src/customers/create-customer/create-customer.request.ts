import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsObject, IsOptional, IsString, Matches, ValidateNested } from 'class-validator';
import { ID_MESSAGE, ID_REGEX } from '../../shared/validators';

/** A postal address the Stripe way (camelCase); personal data, stored sealed. */
export class AddressRequest {
  @IsString() line1!: string;
  @IsOptional() @IsString() line2?: string;
  @IsOptional() @IsString() city?: string;
  @IsOptional() @IsString() state?: string;
  @IsOptional() @IsString() postalCode?: string;
  @IsOptional() @IsString() country?: string;
}

export class CreateCustomerRequest {
  @IsOptional() @Matches(ID_REGEX, { message: ID_MESSAGE }) id?: string;
  @IsString() name!: string;
  @IsString() email!: string;
  @IsOptional() @IsObject() @ValidateNested() @Type(() => AddressRequest) address?: AddressRequest;
  @IsString() currency!: string;
  @IsString() country!: string;
  @IsOptional() @IsString() region?: string;
  @IsOptional() @IsBoolean() taxExempt?: boolean;
  @IsOptional() @IsInt() paymentTermsDays?: number;
  @IsOptional() @IsString() locale?: string;
}
