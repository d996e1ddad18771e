import { IsBoolean, IsInt, IsOptional, IsString, Matches } from 'class-validator';
import { ID_MESSAGE, ID_REGEX } from '../../shared/validators';

export class CreateCustomerRequest {
  @IsOptional() @Matches(ID_REGEX, { message: ID_MESSAGE }) id?: string;
  @IsString() name!: string;
  @IsString() email!: string;
  @IsString() currency!: string;
  @IsString() country!: string;
  @IsOptional() @IsString() region?: string;
  @IsOptional() @IsBoolean() taxExempt?: boolean;
  @IsOptional() @IsInt() paymentTermsDays?: number;
  @IsOptional() @IsString() locale?: string;
}
