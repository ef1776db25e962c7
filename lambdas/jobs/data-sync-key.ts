/** The entity a data.sync job versions: one user's `<name>#<id>`. */
export const syncEntityKey = (userId: string, entity: { readonly name: string; readonly id: string }) =>
  `${userId}#${entity.name}#${entity.id}`;
