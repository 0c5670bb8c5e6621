// Entry of the renderer: texts, the transport for where it runs, the controller,
// then the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from './api/client.js';
import { pickTransport } from './api/pick-transport.js';
import { setupI18n } from './i18n/i18n.js';
import { App, NoTransport } from './screens/App.js';
import { ControllerContext } from './state/context.js';
import { Controller } from './state/controller.js';
import './design/tokens.css';
import './design/base.css';
import './screens/layout.css';

async function main(): Promise<void> {
  await setupI18n();
  const root = createRoot(document.getElementById('root')!);
  const transport = pickTransport();
  if (!transport) {
    root.render(<NoTransport />);
    return;
  }
  const controller = new Controller(createClient(transport));
  // Drafts typed in the last moments are saved before the page goes away.
  window.addEventListener('pagehide', () => controller.flushDrafts());
  document.addEventListener('visibilitychange', () => void controller.markReadIfSeen());
  root.render(
    <StrictMode>
      <ControllerContext.Provider value={controller}>
        <App />
      </ControllerContext.Provider>
    </StrictMode>,
  );
}

void main();
