import { IsString } from 'class-validator';

/** `POST /v1/invoices/:id/mark-uncollectible`: the shape only; the domain checks the meaning. */
export class MarkUncollectibleRequest {
  @IsString() at!: string;
  @IsString() reason!: string;
}
