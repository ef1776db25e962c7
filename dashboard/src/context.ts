import type { JobQueueClient } from 'jobqueue/client';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Session } from './session';

export interface AppContextValue {
  readonly client: JobQueueClient;
  readonly session: Session;
}

export const AppContext = createContext<AppContextValue | undefined>(undefined);

export const useApp = (): AppContextValue => {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside a signed-in session');
  return value;
};
