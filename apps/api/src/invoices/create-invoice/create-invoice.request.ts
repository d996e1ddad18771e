import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, Matches, ValidateNested } from 'class-validator';
import { MAX_INVOICE_LINES } from '@accrual/billing';
import { ID_MESSAGE, ID_REGEX, IsDecimalLike, IsDecimalString } from '../../shared/validators';

export class InvoiceLineRequest {
  @IsString() description!: string;
  @IsOptional() @IsDecimalLike() quantity?: string | number;
  @IsDecimalString() unitAmount!: string;
  @IsOptional() @IsString() priceId?: string;
  @IsOptional() @IsString() periodStart?: string;
  @IsOptional() @IsString() periodEnd?: string;
}

export class CreateInvoiceRequest {
  @IsOptional() @Matches(ID_REGEX, { message: ID_MESSAGE }) id?: string;
  @Matches(ID_REGEX, { message: ID_MESSAGE }) customerId!: string;
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_INVOICE_LINES)
  @ValidateNested({ each: true })
  @Type(() => InvoiceLineRequest)
  lines!: InvoiceLineRequest[];
  @IsOptional() @IsString() memo?: string;
}

export class IssueInvoiceRequest {
  @IsString() issuedAt!: string;
}
