import { IsOptional, IsString, Matches } from 'class-validator';
import { ID_MESSAGE, ID_REGEX, IsDecimalString } from '../../shared/validators';

/** `POST /v1/payments`: the shape only; the domain checks the meaning (payment.ts). */
export class ReceivePaymentRequest {
  @IsOptional() @Matches(ID_REGEX, { message: ID_MESSAGE }) id?: string;
  @Matches(ID_REGEX, { message: ID_MESSAGE }) customerId!: string;
  @IsDecimalString() amount!: string;
  @IsString() currency!: string;
  @IsString() receivedAt!: string;
  @IsString() method!: string;
  @IsOptional() @IsString() reference?: string;
  @IsOptional() @Matches(ID_REGEX, { message: ID_MESSAGE }) invoiceId?: string;
}
