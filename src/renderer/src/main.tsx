import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import './styles.css'
import { App } from './App'
import { storedTheme } from './lib/theme'
import { createAppStore } from './store/app-store'
import { connectBridge } from './store/bridge'
import { AppProvider } from './store/context'
import { getApi } from './transport'

const root = document.getElementById('root')
if (!root) throw new Error('index.html has no #root element')

const api = getApi()
const store = createAppStore({ theme: storedTheme() })
// Events are wired before the first render and live as long as the page: no component owns them.
connectBridge(api, store)

createRoot(root).render(
  <StrictMode>
    <AppProvider store={store} api={api}>
      <App />
    </AppProvider>
  </StrictMode>,
)
