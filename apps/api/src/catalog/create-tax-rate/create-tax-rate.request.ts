import { IsBoolean, IsOptional, IsString, Matches } from 'class-validator';
import { ID_MESSAGE, ID_REGEX, IsDecimalLike } from '../../shared/validators';

/** The shape of `POST /v1/tax-rates`; the domain (`createTaxRate`) checks what the values mean. */
export class CreateTaxRateRequest {
  @Matches(ID_REGEX, { message: ID_MESSAGE }) id!: string;
  @IsString() displayName!: string;
  @IsString() country!: string;
  @IsOptional() @IsString() region?: string;
  @IsDecimalLike() percentage!: string | number;
  @IsBoolean() inclusive!: boolean;
}
