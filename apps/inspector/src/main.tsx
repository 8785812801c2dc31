import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createInspector } from './inspector.ts';
import { App } from './views/App.tsx';
import './views/styles.css';

const inspector = createInspector();
inspector.loader.warm();
const el = document.getElementById('root');
if (!el) throw new Error('index.html lacks #root');
createRoot(el).render(
  <StrictMode>
    <App inspector={inspector} />
  </StrictMode>,
);
