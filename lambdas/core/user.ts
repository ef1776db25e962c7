/** The caller, as the gateway's authorizer established it. */
export interface User {
  /** The token's `sub`. */
  readonly id: string;
  /** The token's `cognito:groups` contains `admin`. */
  readonly isAdmin: boolean;
}

/** A user may see a job only if it is theirs, or they are an admin. */
export const canSee = (user: User, job: { userId: string }): boolean =>
  user.isAdmin || job.userId === user.id;
