import { IsOptional, IsString } from 'class-validator';
import { IsDecimalString } from '../../shared/validators';

/** `POST /v1/payments/:id/refund`: the shape only; the domain checks the meaning. */
export class RefundPaymentRequest {
  @IsOptional() @IsDecimalString() amount?: string;
  @IsString() at!: string;
  @IsString() reason!: string;
}
