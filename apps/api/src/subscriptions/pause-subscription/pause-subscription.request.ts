import { IsString } from 'class-validator';

/** Pause and resume take the business instant only. */
export class PauseOrResumeRequest {
  @IsString() at!: string;
}
