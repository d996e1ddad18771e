import { IsOptional, IsString, Matches } from 'class-validator';
import { ID_MESSAGE, ID_REGEX, IsDecimalString } from '../../shared/validators';

/** `POST /v1/credit-notes`: the shape only; the domain checks the meaning (credit-note.ts). */
export class IssueCreditNoteRequest {
  @IsOptional() @Matches(ID_REGEX, { message: ID_MESSAGE }) id?: string;
  @Matches(ID_REGEX, { message: ID_MESSAGE }) invoiceId!: string;
  @IsDecimalString() amount!: string;
  @IsString() reason!: string;
  @IsString() issuedAt!: string;
}
