import { IsString } from 'class-validator';

/** `POST /v1/invoices/:id/void`: the shape only; the domain checks the meaning. */
export class VoidInvoiceRequest {
  @IsString() at!: string;
  @IsString() reason!: string;
}
