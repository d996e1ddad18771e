import { IsIn, IsOptional, IsString } from 'class-validator';
import { AGGREGATIONS } from '@accrual/billing';

export class DefineMeterRequest {
  @IsString() code!: string;
  @IsString() name!: string;
  @IsIn(AGGREGATIONS) aggregation!: string;
  @IsOptional() @IsString() uniqueBy?: string;
}
