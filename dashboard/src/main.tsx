import { render } from 'preact';
import { App } from './app';
import { loadConfig } from './config';
import { completeHostedSignIn, type Session, storedSession } from './session';
import './styles.css';

const root = document.getElementById('app') as HTMLElement;

try {
  const config = await loadConfig();
  let session: Session | undefined;
  let error: unknown;
  try {
    session =
      (config.signIn.mode === 'cognito' ? await completeHostedSignIn(config.signIn) : undefined) ??
      storedSession();
  } catch (failure) {
    error = failure;
  }
  render(<App config={config} initialSession={session} initialError={error} />, root);
} catch (failure) {
  root.innerHTML = '';
  const message = document.createElement('p');
  message.setAttribute('role', 'alert');
  message.textContent = `The dashboard cannot start: ${(failure as Error).message}`;
  root.append(message);
}
